"""API keys in /admin: administrators only; a key is shown once and only its hash is stored."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiKey, AreaLevel, AuditEvent, Role
from portal.services.accounts.api_keys import key_hash
from tests.factories import create_area, create_resident, create_user
from tests.html import error_summary, field_error


@pytest.fixture
def county():
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Yilong County")
    create_area("511321101201", AreaLevel.VILLAGE, parent_id=county.id)
    return county


@pytest.fixture
def admin(client_request, county):
    user = create_user(Role.ADMIN)
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return user


def _create(client_request, county, name="12345 hotline"):
    client_request.post("/admin/api-keys/new", {"name": name, "area": str(county.id)})
    assert client_request.response.location.endswith("/admin/api-keys/created")
    return client_request.get("/admin/api-keys/created")


def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(client_request, admin, county):
    page = _create(client_request, county)
    assert client_request.response.headers["Cache-Control"] == "no-store"
    secret = page.select_one(".secret-key code").get_text(strip=True)
    assert secret.startswith("wx311_") and len(secret) > 40
    key = db.session.scalar(select(ApiKey))
    assert (key.name, key.area_id, key.created_by_id) == ("12345 hotline", county.id, admin.id)
    assert key.key_hash == key_hash(secret) and secret not in key.key_hash
    assert key.key_prefix == secret[:12]
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_key.create"))
    assert audit.actor_id == admin.id and secret not in str(audit.data)
    # Shown once: the same page again no longer has it.
    again = client_request.get("/admin/api-keys/created")
    assert secret not in again.get_text() and again.select_one(".secret-key") is None
    listing = client_request.get("/admin/api-keys")
    text = listing.get_text()
    assert "12345 hotline" in text and key.key_prefix in text and secret not in text
    assert "Never" in text  # not used yet


def test_the_new_key_works_for_open311(client_request, admin, county):
    secret = _create(client_request, county).select_one(".secret-key code").get_text(strip=True)
    response = client_request.client.get(
        "/open311/v2/requests.json", query_string={"api_key": secret}
    )
    assert response.status_code == 200 and response.get_json() == []
    db.session.expire_all()
    assert db.session.scalar(select(ApiKey)).last_used_at is not None


def test_empty_form_shows_errors_and_creates_nothing(client_request, admin, county):
    page = client_request.post("/admin/api-keys/new", {}, expected_status=200)
    assert len(error_summary(page)) == 2
    assert "name" in field_error(page, "name")
    assert "area" in field_error(page, "area")
    assert db.session.scalar(select(ApiKey)) is None


def test_only_areas_above_villages_can_be_chosen(client_request, admin, county):
    page = client_request.get("/admin/api-keys/new")
    options = [o["value"] for o in page.select("#area option") if o["value"]]
    assert options == [str(county.id)]
    village = county.children[0]
    page = client_request.post(
        "/admin/api-keys/new", {"name": "x", "area": str(village.id)}, expected_status=200
    )
    assert field_error(page, "area")
    assert db.session.scalar(select(ApiKey)) is None


def test_revoking_refuses_the_key_from_then_on(client_request, admin, county):
    secret = _create(client_request, county).select_one(".secret-key code").get_text(strip=True)
    key = db.session.scalar(select(ApiKey))
    client_request.post(f"/admin/api-keys/{key.id}/revoke")
    page = client_request.get("/admin/api-keys")
    assert "is revoked" in page.get_text() and "Revoked" in page.get_text()
    assert page.find("form", action=f"/admin/api-keys/{key.id}/revoke") is None
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).revoked_at is not None
    response = client_request.client.get(
        "/open311/v2/requests.json", query_string={"api_key": secret}
    )
    assert response.status_code == 403
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_key.revoke"))
    client_request.post("/admin/api-keys/999999/revoke", expected_status=404)


@pytest.mark.parametrize("role", [Role.COUNTY_STAFF, Role.SUPERVISOR, Role.VILLAGE_WORKER])
def test_only_administrators_manage_keys(client_request, county, role):
    user = create_user(role, area_id=county.id)
    db.session.commit()
    client_request.login(user)
    for url in ("/admin/api-keys", "/admin/api-keys/new", "/admin/api-keys/created"):
        client_request.get(url, expected_status=404)
    client_request.post(
        "/admin/api-keys/new", {"name": "x", "area": str(county.id)}, expected_status=404
    )
    client_request.post("/admin/api-keys/1/revoke", expected_status=404)
    assert db.session.scalar(select(ApiKey)) is None


def test_residents_and_visitors_cannot_reach_keys(client_request, county):
    client_request.get("/admin/api-keys", expected_status=302)
    resident = create_resident(county)
    user = create_user(Role.RESIDENT, resident_id=resident.id, phone=resident.phone)
    db.session.commit()
    client_request.login(user)
    client_request.get("/admin/api-keys", expected_status=404)


def test_the_menu_shows_api_keys_to_administrators_only(client_request, admin, county):
    page = client_request.get("/admin/api-keys")
    assert page.find("a", href="/admin/api-keys", string=lambda s: s and "API keys" in s)
    staff = create_user(Role.COUNTY_STAFF, area_id=county.id)
    db.session.commit()
    client_request.login(staff)
    page = client_request.get("/admin/")
    assert not page.find("a", href="/admin/api-keys")
