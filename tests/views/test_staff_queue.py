"""The staff queue's filters, deadline states, counts, paging and "my cases"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import AreaLevel, CaseType, Role
from portal.services.cases import staff_actions
from tests.factories import create_area, create_case, create_resident, create_user

NOW = datetime.now(UTC)


@pytest.fixture
def places(app):
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Yilong County")
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    east = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id, name_en="East")
    west = create_area("511321101202", AreaLevel.VILLAGE, parent_id=township.id, name_en="West")
    officer = create_user(Role.TOWNSHIP_OFFICER, area_id=township.id)
    worker = create_user(Role.VILLAGE_WORKER, area_id=east.id)
    return {"township": township, "east": east, "west": west, "officer": officer, "worker": worker}


def _references(page) -> list[str]:
    return [row.find("a").get_text(strip=True) for row in page.select("tbody tr")]


def _queue(client_request, user, **args):
    client_request.login(user)
    client_request.set_locale("en")
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return client_request.get(f"/admin/?{query}")


def test_deadline_states_are_counted_and_filtered(client_request, places):
    east = create_resident(places["east"])
    overdue = create_case(east, now=NOW - timedelta(days=10))
    on_track = create_case(east, now=NOW)
    paused = create_case(east, now=NOW - timedelta(days=10))
    staff_actions.pause(db.session, paused, actor=places["worker"], reason="请补充材料。", now=NOW)
    db.session.commit()
    page = _queue(client_request, places["officer"])
    counts = page.select_one("ul.counts").get_text(" ", strip=True)
    assert "Overdue: 1" in counts and "Paused: 1" in counts and "On track: 1" in counts
    assert "3 cases match" in page.get_text()
    page = _queue(client_request, places["officer"], deadline="overdue")
    assert _references(page) == [overdue.reference]
    page = _queue(client_request, places["officer"], deadline="paused")
    assert _references(page) == [paused.reference]
    page = _queue(client_request, places["officer"], deadline="on_track")
    assert _references(page) == [on_track.reference]


def test_filters_by_type_area_and_status(client_request, places):
    need = create_case(create_resident(places["east"]), case_type=CaseType.CONSULTATION, now=NOW)
    complaint = create_case(create_resident(places["west"]), now=NOW)
    done = create_case(create_resident(places["west"]), now=NOW)
    staff_actions.resolve(db.session, done, actor=places["officer"], text="已办结。", now=NOW)
    db.session.commit()
    officer = places["officer"]
    assert _references(_queue(client_request, officer, type="consultation")) == [need.reference]
    west = places["west"].id
    assert _references(_queue(client_request, officer, area=west)) == [complaint.reference]
    assert _references(_queue(client_request, officer, status="resolved")) == [done.reference]
    assert set(_references(_queue(client_request, officer, status="all"))) == {
        need.reference,
        complaint.reference,
        done.reference,
    }
    # An area outside the user's scope, or nonsense, is ignored rather than trusted.
    page = _queue(client_request, places["worker"], area=west, type="nonsense")
    assert _references(page) == [need.reference]


def test_my_cases_and_unassigned(client_request, places):
    resident = create_resident(places["east"])
    mine = create_case(resident, now=NOW)
    other = create_case(resident, now=NOW)
    staff_actions.assign(
        db.session, mine, actor=places["officer"], assignee=places["worker"], now=NOW
    )
    db.session.commit()
    assert _references(_queue(client_request, places["worker"], assignee="mine")) == [
        mine.reference
    ]
    page = _queue(client_request, places["worker"], assignee="unassigned")
    assert _references(page) == [other.reference]


def test_pages_follow_the_deadlines_without_gaps_or_repeats(client_request, places):
    resident = create_resident(places["east"])
    cases = [create_case(resident, now=NOW - timedelta(hours=i)) for i in range(120)]
    db.session.commit()
    seen: list[str] = []
    page = _queue(client_request, places["worker"])
    while True:
        seen += _references(page)
        more = page.find("a", rel="next")
        if more is None:
            break
        page = client_request.get(more["href"])
    expected = sorted(cases, key=lambda c: (c.current_due_at, c.id))
    assert seen == [c.reference for c in expected]
    assert len(seen) == 120


def test_a_malformed_page_cursor_shows_the_first_page(client_request, places):
    create_case(create_resident(places["east"]), now=NOW)
    db.session.commit()
    page = _queue(client_request, places["worker"], after="not-a-cursor")
    assert len(_references(page)) == 1
