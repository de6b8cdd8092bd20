import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, Role
from tests.factories import create_area, create_case, create_resident, create_user


@pytest.fixture
def areas():
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    neighbour = create_area("511321101202", AreaLevel.VILLAGE, parent_id=township.id)
    other_county = create_area("511322000000", AreaLevel.COUNTY)
    return {
        "county": county,
        "township": township,
        "village": village,
        "neighbour": neighbour,
        "other_county": other_county,
    }


@pytest.mark.parametrize(
    ("role", "scope", "sees"),
    [
        (Role.VILLAGE_WORKER, "village", True),
        (Role.VILLAGE_WORKER, "neighbour", False),
        (Role.TOWNSHIP_OFFICER, "township", True),
        (Role.COUNTY_STAFF, "county", True),
        (Role.SUPERVISOR, "county", True),
        (Role.COUNTY_STAFF, "other_county", False),
        (Role.ADMIN, "other_county", True),
    ],
)
def test_staff_see_cases_in_their_area_only(client_request, areas, role, scope, sees):
    resident = create_resident(areas["village"], name="张盲")
    case = create_case(resident)
    staff = create_user(role, area_id=areas[scope].id)
    db.session.commit()
    client_request.login(staff)
    client_request.set_locale("en")
    page = client_request.get("/admin/")
    rows = page.select("tbody tr")
    assert (case.reference in page.get_text()) is sees
    if sees:
        row = next(r for r in rows if case.reference in r.get_text())
        assert row.find("time")["datetime"] == case.first_response_due_at.isoformat()
    client_request.get(f"/admin/cases/{case.id}", expected_status=200 if sees else 404)


def test_reading_a_case_is_audited(client_request, areas):
    resident = create_resident(areas["village"])
    case = create_case(resident)
    staff = create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id)
    db.session.commit()
    client_request.login(staff)
    page = client_request.get(f"/admin/cases/{case.id}")
    assert case.description in page.get_text()
    [audit] = db.session.scalars(select(AuditEvent)).all()
    assert (audit.actor_id, audit.action, audit.resident_id) == (staff.id, "case.view", resident.id)


def test_outbox_lists_the_acknowledgement_with_a_masked_phone(client_request, areas):
    resident = create_resident(areas["village"], phone="+8613912345678")
    case = create_case(resident)
    staff = create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id)
    db.session.commit()
    client_request.login(staff)
    page = client_request.get("/admin/outbox")
    text = page.get_text()
    assert case.reference in text
    assert "13912345678" not in text and "5678" in text


def test_outbox_shows_why_a_message_was_not_sent(client_request, areas):
    from portal.models import Channel

    resident = create_resident(areas["village"], channel=Channel.NONE)
    create_case(resident)
    staff = create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id)
    db.session.commit()
    client_request.login(staff)
    client_request.set_locale("en")
    page = client_request.get("/admin/outbox")
    assert "the resident chose no messages" in page.get_text()


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.GUARDIAN])
@pytest.mark.parametrize("url", ["/admin/", "/admin/outbox", "/admin/cases/1"])
def test_residents_and_guardians_cannot_open_the_console(client_request, role, url):
    user = create_user(role)
    db.session.commit()
    client_request.login(user)
    client_request.get(url, expected_status=404)


def test_staff_without_an_area_see_nothing(client_request, areas):
    create_case(create_resident(areas["village"]))
    staff = create_user(Role.COUNTY_STAFF)
    db.session.commit()
    client_request.login(staff)
    page = client_request.get("/admin/")
    assert not page.select("tbody tr")


def test_the_queue_puts_the_most_urgent_deadline_first_and_flags_overdue(client_request, areas):
    from datetime import UTC, datetime, timedelta

    from portal.services.sla.sla_clocks import reschedule

    resident = create_resident(areas["village"])
    now = datetime.now(UTC)
    old = create_case(resident, now=now - timedelta(days=30))
    answered = create_case(resident, now=now - timedelta(days=40))
    answered.first_responded_at = now - timedelta(days=39)  # now the resolution clock counts
    reschedule(db.session, answered)
    fresh = create_case(resident, now=now)
    staff = create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id)
    db.session.commit()
    client_request.login(staff)
    client_request.set_locale("en")
    page = client_request.get("/admin/")
    rows = [row.get_text(" ", strip=True) for row in page.select("tbody tr")]
    assert [r.split()[0] for r in rows] == [old.reference, answered.reference, fresh.reference]
    assert "First reply" in rows[0] and "Overdue" in rows[0]
    assert "Resolution" in rows[1] and "Overdue" in rows[1]
    assert "Overdue" not in rows[2]
