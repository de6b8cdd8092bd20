"""/admin/residents: the residents in the staff member's scope, and one resident's overview."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, Institution, NeedsRecord, Role
from tests.factories import create_area, create_guardianship, create_resident, create_user

YEAR = datetime.now(UTC).year


@pytest.fixture
def world(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area(
        "511321101201", AreaLevel.VILLAGE, parent_id=township.id, name_en="Xingfu Village"
    )
    other_village = create_area("511321102201", AreaLevel.VILLAGE, parent_id=county.id)
    elsewhere = create_area("511322000000", AreaLevel.COUNTY)
    visited = create_resident(
        village,
        name="王已访",
        phone="+8613900001111",
        certificate_masked="510104********1236 42",
        disability_category=4,
        disability_level=None,
    )
    confirmed = create_resident(village, name="李已确认", phone="+8613900002222")
    fresh = create_resident(other_village, name="赵未访", phone="+8613900003333")
    far = create_resident(elsewhere, name="钱外县", phone="+8613900004444")
    db.session.add(NeedsRecord(resident_id=visited.id, year=YEAR, surveyed_on=date(YEAR, 1, 2)))
    db.session.add(
        NeedsRecord(
            resident_id=confirmed.id,
            year=YEAR,
            surveyed_on=date(YEAR, 1, 2),
            confirmed_at=datetime.now(UTC),
            confirmation_method="portal",
        )
    )
    guardian = create_user(Role.GUARDIAN, name="王监护", phone="+8613700005555")
    create_guardianship(guardian, visited)
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=county.id)
    db.session.add(home)
    db.session.flush()
    fresh.institution_id = home.id
    users = {
        "county": create_user(Role.COUNTY_STAFF, area_id=county.id),
        "village": create_user(Role.VILLAGE_WORKER, area_id=village.id),
        "institution": create_user(Role.INSTITUTION, institution_id=home.id),
    }
    db.session.commit()
    return {
        "users": users,
        "visited": visited,
        "fresh": fresh,
        "far": far,
        "village": village,
        "township": township,
    }


def names(page) -> list[str]:
    return [row.find("a").get_text(strip=True) for row in page.select("tbody tr")]


def as_user(client_request, user):
    client_request.login(user)
    client_request.set_locale("en")


def test_county_staff_see_their_county_by_name_with_this_years_visit(client_request, world):
    as_user(client_request, world["users"]["county"])
    page = client_request.get("/admin/residents")
    assert names(page) == ["李已确认", "王已访", "赵未访"]
    text = page.find("main").get_text(" ", strip=True)
    assert "3 residents match" in text
    assert "+86 *******1111" in text and "13900001111" not in text
    rows = {
        row.find("a").get_text(strip=True): row.find_all("td")[-1].get_text(strip=True)
        for row in page.select("tbody tr")
    }
    assert rows == {"李已确认": "Confirmed", "王已访": "Not confirmed", "赵未访": "Not visited"}
    link = page.find("a", string="王已访")
    assert link["href"] == f"/admin/residents/{world['visited'].id}"
    assert page.find("nav", class_="site-nav").find("a", href="/admin/residents")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=王", ["王已访"]),
        ("q=3333", ["赵未访"]),
        ("q=1236", ["王已访"]),
        ("q=4444", []),
        ("survey=not_done", ["赵未访"]),
        ("survey=not_confirmed", ["王已访"]),
        ("survey=done", ["李已确认", "王已访"]),
        ("survey=nonsense", ["李已确认", "王已访", "赵未访"]),
    ],
)
def test_search_and_filters(client_request, world, query, expected):
    as_user(client_request, world["users"]["county"])
    assert names(client_request.get(f"/admin/residents?{query}")) == expected


def test_filter_by_area_within_scope(client_request, world):
    as_user(client_request, world["users"]["county"])
    page = client_request.get(f"/admin/residents?area={world['township'].id}")
    assert names(page) == ["李已确认", "王已访"]


def test_a_village_worker_sees_only_the_village(client_request, world):
    as_user(client_request, world["users"]["village"])
    assert names(client_request.get("/admin/residents")) == ["李已确认", "王已访"]


def test_an_institution_sees_only_its_residents(client_request, world):
    as_user(client_request, world["users"]["institution"])
    assert names(client_request.get("/admin/residents")) == ["赵未访"]
    client_request.get(f"/admin/residents/{world['visited'].id}", expected_status=404)


def test_the_overview_shows_masked_details_guardians_and_the_visit_and_is_audited(
    client_request, world
):
    as_user(client_request, world["users"]["village"])
    resident = world["visited"]
    page = client_request.get(f"/admin/residents/{resident.id}")
    text = page.find("main").get_text(" ", strip=True)
    assert "Xingfu Village" in text and "Physical" in text and "Not graded" in text
    assert "510104********1236 42" in text
    assert "+86 *******1111" in text and "13900001111" not in text
    assert "王监护" in text and "+86 *******5555" in text
    assert f"Home visit {YEAR}" in text and f"{YEAR}-01-02" in text and "Not confirmed" in text
    links = page.find("section", id="plan").find_all("a")
    assert [a["href"] for a in links] == [
        f"/admin/residents/{resident.id}/plan",
        f"/admin/residents/{resident.id}/card",
    ]
    survey = page.find("a", href=f"/admin/residents/{resident.id}/survey/{YEAR}")
    assert survey is not None
    [audit] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "resident.view")
    ).all()
    assert (audit.actor_id, audit.resident_id) == (world["users"]["village"].id, resident.id)


def test_the_overview_of_someone_out_of_scope_is_404(client_request, world):
    as_user(client_request, world["users"]["village"])
    client_request.get(f"/admin/residents/{world['far'].id}", expected_status=404)
    client_request.get(f"/admin/residents/{world['fresh'].id}", expected_status=404)
    # No read is audited; the two refusals are (tests/views/test_audit_gaps.py).
    assert [a.action for a in db.session.scalars(select(AuditEvent))] == ["access.refused"] * 2
