"""The audit log at /admin/audit: administrators see all, supervisors their area's residents."""

from datetime import UTC, datetime

import pytest

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, Role
from portal.services.people.access import audit_events_for
from tests.factories import create_area, create_resident, create_user
from tests.html import error_summary, field_error


@pytest.fixture
def world():
    county = create_area("511321000000", AreaLevel.COUNTY)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=county.id)
    other_county = create_area("511322000000", AreaLevel.COUNTY)
    other_village = create_area("511322101201", AreaLevel.VILLAGE, parent_id=other_county.id)
    ours = create_resident(village, name="张秀英")
    theirs = create_resident(other_village, name="李四海")
    worker = create_user(
        Role.VILLAGE_WORKER, area_id=village.id, name="蒲春燕", phone="+8613912340005"
    )
    admin = create_user(Role.ADMIN, name="杨帆")
    supervisor = create_user(Role.SUPERVISOR, area_id=county.id, name="敬国强")
    db.session.commit()
    return {
        "county": county,
        "ours": ours,
        "theirs": theirs,
        "worker": worker,
        "admin": admin,
        "supervisor": supervisor,
    }


def _event(actor, action, resident=None, when=datetime(2026, 11, 20, 2, 0, tzinfo=UTC), **kw):
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        resident_id=resident.id if resident else None,
        object_type=kw.pop("object_type", "case"),
        object_id=kw.pop("object_id", 7),
        ip_address=kw.pop("ip_address", "192.0.2.1"),
        created_at=when,
        data={},
    )
    db.session.add(event)
    db.session.flush()
    return event


def _rows(page):
    return [row.get_text(" ", strip=True) for row in page.select("tbody tr")]


@pytest.mark.parametrize(
    "role",
    [
        Role.VILLAGE_WORKER,
        Role.TOWNSHIP_OFFICER,
        Role.COUNTY_STAFF,
        Role.INSTITUTION,
        Role.RESIDENT,
        Role.GUARDIAN,
    ],
)
def test_only_administrators_and_supervisors_may_open_it(client_request, world, role):
    user = create_user(role, area_id=world["county"].id)
    db.session.commit()
    client_request.login(user)
    client_request.get("/admin/audit", expected_status=404)


def test_anonymous_users_are_sent_to_sign_in(client_request):
    client_request.get("/admin/audit", expected_status=302)


def test_administrators_see_every_event_newest_first(client_request, world):
    _event(
        world["worker"], "case.view", world["ours"], when=datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    )
    _event(
        world["admin"],
        "staff.create",
        object_type="user",
        object_id=world["worker"].id,
        when=datetime(2026, 11, 21, 2, 0, tzinfo=UTC),
    )
    _event(None, "case.escalate", world["theirs"], when=datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    db.session.commit()
    client_request.login(world["admin"])
    client_request.set_locale("en")
    page = client_request.get("/admin/audit")
    rows = _rows(page)
    assert [r.split(" ")[0] for r in rows] == ["2026-11-22", "2026-11-21", "2026-11-20"]
    assert "case.escalate" in rows[0] and "The system" in rows[0]
    assert "李••" in rows[0] and "李四海" not in page.get_text()
    # Local time (Shanghai, UTC+8).
    assert "2026-11-20 10:00" in rows[2] and "蒲春燕" in rows[2] and "192.0.2.1" in rows[2]
    assert "Village worker" in rows[2]


def test_supervisors_see_only_events_about_residents_in_their_area(client_request, world):
    _event(world["worker"], "case.view", world["ours"])
    _event(world["worker"], "case.view", world["theirs"])
    _event(world["admin"], "staff.create", object_type="user")
    db.session.commit()
    client_request.login(world["supervisor"])
    client_request.set_locale("en")
    page = client_request.get("/admin/audit")
    rows = _rows(page)
    assert len(rows) == 1 and "张••" in rows[0]
    client_request.get(f"/admin/audit?resident={world['theirs'].id}")
    assert _rows(client_request.get(f"/admin/audit?resident={world['theirs'].id}")) == []


def test_the_scoped_select(app, world):
    _event(world["worker"], "case.view", world["ours"])
    _event(world["worker"], "case.view", world["theirs"])
    _event(world["admin"], "staff.create")
    assert len(db.session.scalars(audit_events_for(db.session, world["admin"])).all()) == 3
    [seen] = db.session.scalars(audit_events_for(db.session, world["supervisor"])).all()
    assert seen.resident_id == world["ours"].id
    assert db.session.scalars(audit_events_for(db.session, world["worker"])).all() == []


def test_filters(client_request, world):
    _event(
        world["worker"], "case.view", world["ours"], when=datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    )
    _event(
        world["worker"],
        "case.reply",
        world["theirs"],
        when=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
    )
    _event(world["admin"], "staff.create", when=datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    db.session.commit()
    client_request.login(world["admin"])
    client_request.set_locale("en")
    assert len(_rows(client_request.get("/admin/audit?action=case"))) == 2
    assert len(_rows(client_request.get("/admin/audit?action=staff.create"))) == 1
    assert len(_rows(client_request.get(f"/admin/audit?actor={world['admin'].id}"))) == 1
    assert len(_rows(client_request.get("/admin/audit?actor=139 1234 0005"))) == 2
    rows = _rows(client_request.get(f"/admin/audit?resident={world['ours'].id}"))
    assert len(rows) == 1 and "case.view" in rows[0]
    # 2026-11-19 17:00 UTC is 2026-11-20 01:00 in Shanghai: it belongs to the 20th.
    rows = _rows(client_request.get("/admin/audit?date_from=2026-11-20&date_to=2026-11-20"))
    assert len(rows) == 2 and not any("staff.create" in r for r in rows)
    assert len(_rows(client_request.get("/admin/audit?date_from=2026-11-21"))) == 1
    page = client_request.get("/admin/audit?action=case")
    assert page.find(id="action")["value"] == "case"


def test_bad_filters_are_explained(client_request, world):
    client_request.login(world["admin"])
    client_request.set_locale("en")
    page = client_request.get(
        "/admin/audit?actor=abc&resident=x&date_from=2026-11-30&date_to=2026-11-01"
    )
    assert len(error_summary(page)) == 3
    assert "account number or a mobile phone number" in field_error(page, "actor")
    assert "digits" in field_error(page, "resident")
    assert "on or after" in field_error(page, "date_to")
    page = client_request.get("/admin/audit?date_from=yesterday")
    assert "year-month-day" in field_error(page, "date_from")
    assert page.find(id="date_from")["value"] == "yesterday"


def test_keyset_pages_continue_after_the_last_id(client_request, world, monkeypatch):
    monkeypatch.setattr("admin.audit_log.PAGE_SIZE", 2)
    events = [_event(world["worker"], "case.view", world["ours"], object_id=n) for n in range(5)]
    db.session.commit()
    client_request.login(world["admin"])
    page = client_request.get("/admin/audit?action=case")
    older = page.find("a", rel="next")["href"]
    assert f"before={events[3].id}" in older and "action=case" in older
    page = client_request.get(older)
    assert len(_rows(page)) == 2
    page = client_request.get(page.find("a", rel="next")["href"])
    assert len(_rows(page)) == 1 and page.find("a", rel="next") is None
