"""Staff accounts at /admin/staff: administrators only; every change audited."""

import pytest
from sqlalchemy import select

from portal.auth import verify_password
from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, Institution, Role, User
from tests.factories import create_area, create_resident_user, create_user
from tests.html import error_summary, field_error

STRONG = "four words in a row"


@pytest.fixture
def areas():
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Nanbu County")
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    return {"county": county, "township": township, "village": village}


@pytest.fixture
def admin(client_request):
    user = create_user(Role.ADMIN, name="王管理")
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return user


def _form(areas, **overrides):
    return {
        "name": "李建国",
        "phone": "13912340001",
        "role": "village_worker",
        "area": str(areas["village"].id),
        "institution": "",
        "password": STRONG,
    } | overrides


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.mark.parametrize(
    "role",
    [
        Role.VILLAGE_WORKER,
        Role.TOWNSHIP_OFFICER,
        Role.COUNTY_STAFF,
        Role.SUPERVISOR,
        Role.INSTITUTION,
        Role.RESIDENT,
        Role.GUARDIAN,
    ],
)
def test_only_administrators_may_open_staff_accounts(client_request, areas, role):
    other = create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id)
    user = create_user(role, area_id=areas["county"].id)
    db.session.commit()
    client_request.login(user)
    for url in ("/admin/staff", "/admin/staff/new", f"/admin/staff/{other.id}"):
        client_request.get(url, expected_status=404)
    for action in ("deactivate", "reactivate", "reset-two-factor"):
        client_request.post(f"/admin/staff/{other.id}/{action}", expected_status=404)
    client_request.post("/admin/staff/new", _form(areas), expected_status=404)
    db.session.refresh(other)
    assert other.active


def test_anonymous_users_are_sent_to_sign_in(client_request):
    client_request.get("/admin/staff", expected_status=302)
    assert "/sign-in" in client_request.response.location


def test_the_list_shows_staff_with_masked_phones_and_filters(client_request, areas, admin):
    worker = create_user(
        Role.VILLAGE_WORKER, area_id=areas["village"].id, name="甲工作者", phone="+8613912345678"
    )
    county = create_user(Role.COUNTY_STAFF, area_id=areas["county"].id, name="乙县级")
    create_resident_user(areas["village"], name="丙居民")
    db.session.commit()
    page = client_request.get("/admin/staff")
    text = page.get_text()
    assert "甲工作者" in text and "乙县级" in text and "丙居民" not in text
    assert "13912345678" not in text and "5678" in text
    row = next(r for r in page.select("tbody tr") if "乙县级" in r.get_text())
    assert "County staff" in row.get_text() and "Not set up yet" in row.get_text()
    page = client_request.get("/admin/staff?role=village_worker")
    assert "甲工作者" in page.get_text() and "乙县级" not in page.get_text()
    page = client_request.get(f"/admin/staff?area={areas['township'].id}")
    assert "甲工作者" in page.get_text() and "乙县级" not in page.get_text()
    assert worker.id and county.id
    # The menu offers the page to administrators.
    assert page.find("a", href="/admin/staff") is not None


def test_the_list_pages(client_request, areas, admin, monkeypatch):
    monkeypatch.setattr("admin.staff.PAGE_SIZE", 2)
    for n in range(4):
        create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id, name=f"工作者{n}")
    db.session.commit()
    page = client_request.get("/admin/staff?role=village_worker")
    assert len(page.select("tbody tr")) == 2
    older = page.find("a", rel="next")["href"]
    page = client_request.get(older)
    assert len(page.select("tbody tr")) == 2
    assert page.find("a", rel="prev") is not None and page.find("a", rel="next") is None


def test_creating_an_account(client_request, areas, admin):
    client_request.post("/admin/staff/new", _form(areas))
    user = db.session.scalar(select(User).where(User.phone == "+8613912340001"))
    assert (user.role, user.area_id, user.name) == (
        Role.VILLAGE_WORKER,
        areas["village"].id,
        "李建国",
    )
    assert verify_password(user, STRONG) and STRONG not in user.password_hash
    [event] = _events("staff.create")
    assert (event.actor_id, event.object_type, event.object_id) == (admin.id, "user", user.id)
    assert event.data["role"] == "village_worker" and "password" not in str(event.data)
    assert STRONG not in str(event.data)
    assert client_request.response.location.endswith(f"/admin/staff/{user.id}")
    page = client_request.get(client_request.response.location)
    assert "is ready" in page.get_text()


def test_an_institution_account_needs_an_institution(client_request, areas, admin):
    page = client_request.post(
        "/admin/staff/new", _form(areas, role="institution", area=""), expected_status=200
    )
    assert "Choose the institution" in field_error(page, "institution")
    rehab = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=areas["county"].id)
    db.session.add(rehab)
    db.session.commit()
    client_request.post(
        "/admin/staff/new", _form(areas, role="institution", area="", institution=str(rehab.id))
    )
    user = db.session.scalar(select(User).where(User.phone == "+8613912340001"))
    assert (user.institution_id, user.area_id) == (rehab.id, areas["county"].id)


def test_errors_are_beside_the_fields_and_what_was_typed_is_kept(client_request, areas, admin):
    page = client_request.post("/admin/staff/new", {}, expected_status=200)
    assert error_summary(page) == [
        "Enter the person's full name",
        "Enter the person's mobile phone number",
        "Choose a role",
        "Enter a first password",
    ]
    page = client_request.post(
        "/admin/staff/new",
        _form(areas, phone="12345", password="short"),
        expected_status=200,
    )
    assert "mobile phone number" in field_error(page, "phone")
    assert "at least 12 characters" in field_error(page, "password")
    assert page.find(id="name")["value"] == "李建国"
    assert page.find(id="phone")["value"] == "12345"
    assert page.find(id="password").get("value") is None  # never echoed
    assert page.find(id="role").find("option", selected=True)["value"] == "village_worker"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aaaaaaaaaaaaaaaa", "more different characters"),
        ("password1234", "too common"),
        ("my number 12340001", "phone number"),
    ],
)
def test_weak_passwords_are_refused(client_request, areas, admin, password, message):
    page = client_request.post(
        "/admin/staff/new", _form(areas, password=password), expected_status=200
    )
    assert message in field_error(page, "password")
    assert db.session.scalar(select(User).where(User.phone == "+8613912340001")) is None


def test_phones_are_unique(client_request, areas, admin):
    create_user(Role.RESIDENT, phone="+8613912340001")
    db.session.commit()
    page = client_request.post("/admin/staff/new", _form(areas), expected_status=200)
    assert "already an account" in field_error(page, "phone")


@pytest.mark.parametrize(
    ("role", "area", "message"),
    [
        ("village_worker", "", "Choose the area"),
        ("village_worker", "county", "choose a village"),
        ("township_officer", "village", "choose a township"),
        ("county_staff", "township", "choose a county"),
        ("resident", "village", "Choose a role"),
    ],
)
def test_the_area_must_fit_the_role(client_request, areas, admin, role, area, message):
    area_id = str(areas[area].id) if area else ""
    page = client_request.post(
        "/admin/staff/new", _form(areas, role=role, area=area_id), expected_status=200
    )
    field = "role" if role == "resident" else "area"
    assert message in field_error(page, field)


def test_changing_role_and_area_is_audited_and_signs_out(client_request, areas, admin):
    user = create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id)
    db.session.commit()
    version = user.session_version
    page = client_request.get(f"/admin/staff/{user.id}")
    assert page.find(id="role").find("option", selected=True)["value"] == "village_worker"
    client_request.post(
        f"/admin/staff/{user.id}",
        {"role": "township_officer", "area": str(areas["township"].id), "institution": ""},
    )
    db.session.refresh(user)
    assert (user.role, user.area_id) == (Role.TOWNSHIP_OFFICER, areas["township"].id)
    assert user.session_version == version + 1
    [event] = _events("staff.update")
    assert event.data["changed"]["role"] == ["village_worker", "township_officer"]
    # Bad scope: error beside the field, nothing changed.
    page = client_request.post(
        f"/admin/staff/{user.id}",
        {"role": "township_officer", "area": str(areas["village"].id), "institution": ""},
        expected_status=200,
    )
    assert "choose a township" in field_error(page, "area")


def test_administrators_cannot_change_their_own_role_or_deactivate_themselves(
    client_request, areas, admin
):
    page = client_request.post(
        f"/admin/staff/{admin.id}",
        {"role": "village_worker", "area": str(areas["village"].id), "institution": ""},
        expected_status=200,
    )
    assert "own role" in field_error(page, "role")
    client_request.post(f"/admin/staff/{admin.id}/deactivate")
    db.session.refresh(admin)
    assert admin.active


def test_residents_accounts_are_not_staff_accounts(client_request, areas, admin):
    user, _resident = create_resident_user(areas["village"])
    db.session.commit()
    client_request.get(f"/admin/staff/{user.id}", expected_status=404)
    client_request.post(f"/admin/staff/{user.id}/deactivate", expected_status=404)


def test_a_deactivated_account_loses_its_session_and_cannot_sign_in(
    app, client_request, areas, admin
):
    from tests.html import ClientRequest

    user = create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id, phone="+8613912340002")
    db.session.commit()
    theirs = ClientRequest(app.test_client())
    theirs.set_locale("en")
    theirs.login(user)
    theirs.get("/admin/")
    client_request.post(f"/admin/staff/{user.id}/deactivate")
    db.session.refresh(user)
    assert not user.active and user.deactivated_at is not None
    [event] = _events("staff.deactivate")
    assert (event.actor_id, event.object_id) == (admin.id, user.id)
    theirs.get("/admin/", expected_status=302)  # the open session ends
    assert "/sign-in" in theirs.response.location
    page = theirs.post(
        "/sign-in/password",
        {"phone": "13912340002", "password": "correct horse battery"},
        expected_status=200,
    )
    assert "not right" in field_error(page, "password")
    page = client_request.get(f"/admin/staff/{user.id}")
    assert "Deactivated" in page.get_text()
    client_request.post(f"/admin/staff/{user.id}/reactivate")
    db.session.refresh(user)
    assert user.active and user.deactivated_at is None
    assert len(_events("staff.reactivate")) == 1
    theirs.post("/sign-in/password", {"phone": "13912340002", "password": "correct horse battery"})
    assert theirs.response.location.endswith("/admin/")


def test_resetting_the_second_factor(client_request, areas, admin):
    from portal.services.accounts import two_factor
    from portal.services.people.crypto import cipher

    user = create_user(Role.SUPERVISOR, area_id=areas["county"].id)
    two_factor.ensure_secret(db.session, user, encrypt=cipher().encrypt)
    user.totp_last_step = 5
    db.session.commit()
    version = user.session_version
    page = client_request.get(f"/admin/staff/{user.id}")
    assert page.find("button", string="Reset the authenticator app") is not None
    client_request.post(f"/admin/staff/{user.id}/reset-two-factor")
    db.session.refresh(user)
    assert (user.totp_secret, user.totp_confirmed_at, user.totp_last_step) == (None, None, None)
    assert user.session_version == version + 1
    [event] = _events("staff.reset_two_factor")
    assert event.object_id == user.id


def test_the_menu_hides_staff_accounts_from_other_staff(client_request, areas):
    worker = create_user(Role.SUPERVISOR, area_id=areas["county"].id)
    db.session.commit()
    client_request.login(worker)
    page = client_request.get("/admin/")
    assert page.find("a", href="/admin/staff") is None
    assert page.find("a", href="/admin/audit") is not None
