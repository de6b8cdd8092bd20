"""/admin/call-backs: residents staff should phone, inside the staff member's areas only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, Role
from portal.models.notification import CallBack
from portal.services.outbound.call_backs import ASKED, UNREACHABLE, request_call_back
from tests.factories import create_area, create_case, create_resident, create_user

NOW = datetime.now(UTC)


@pytest.fixture
def world(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=county.id)
    elsewhere = create_area("511322000000", AreaLevel.COUNTY)
    near = create_resident(village, name="王近", phone="+8613900001111")
    older = create_resident(village, name="李早", phone="+8613900002222")
    far = create_resident(elsewhere, name="赵远", phone="+8613900003333")
    case = create_case(near)
    tasks = {
        "near": request_call_back(
            db.session, near, reason=UNREACHABLE, dedupe_key="t:near", now=NOW, case=case
        ),
        "older": request_call_back(
            db.session, older, reason=ASKED, dedupe_key="t:older", now=NOW - timedelta(hours=3)
        ),
        "far": request_call_back(db.session, far, reason=ASKED, dedupe_key="t:far", now=NOW),
    }
    staff = create_user(Role.TOWNSHIP_OFFICER, area_id=county.id)
    db.session.commit()
    return {"tasks": tasks, "staff": staff, "case": case}


@pytest.fixture
def staff(client_request, world):
    client_request.login(world["staff"])
    client_request.set_locale("en")
    return world["staff"]


def cards(page, heading: str) -> list:
    section = page.find("h2", string=heading)
    listing = section.find_next_sibling()
    return listing.find_all("li", class_="card") if listing.name == "ul" else []


def audits() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call_back.done")))


def test_open_tasks_in_the_area_oldest_first_with_the_count_in_the_menu(
    client_request, world, staff
):
    page = client_request.get("/admin/call-backs")
    open_cards = cards(page, "Waiting for a call")
    assert [card.h3.get_text(strip=True) for card in open_cards] == ["李早", "王近"]
    text = open_cards[1].get_text(" ", strip=True)
    assert "+86 *******1111" in text and "13900001111" not in text
    assert "No message reached them" in text
    assert "They asked for a call back" in open_cards[0].get_text(" ", strip=True)
    link = open_cards[1].find("a", string=world["case"].reference)
    assert link["href"] == f"/admin/cases/{world['case'].id}"
    assert "赵远" not in page.get_text()
    menu = page.find("nav", class_="site-nav")
    assert menu.find("a", href="/admin/call-backs").get_text(strip=True) == (
        "Call-backs (2 waiting)"
    )


def test_mark_as_called_closes_the_task_with_the_note_and_audits_it(client_request, world, staff):
    task = world["tasks"]["near"]
    field = f"call-back-{task.id}-note"
    client_request.post(
        f"/admin/call-backs/{task.id}/called", {field: "She is fine, no help needed."}
    )
    page = client_request.get("/admin/call-backs")
    assert page.find(class_="banner").get_text(strip=True) == "Marked as called."
    assert [card.h3.get_text(strip=True) for card in cards(page, "Waiting for a call")] == ["李早"]
    done = cards(page, "Called in the last 7 days")
    assert len(done) == 1
    assert "She is fine, no help needed." in done[0].get_text(" ", strip=True)
    db.session.refresh(task)
    assert task.done_by_id == staff.id and task.done_at is not None
    [audit] = audits()
    assert (audit.actor_id, audit.resident_id, audit.object_id) == (
        staff.id,
        task.resident_id,
        task.id,
    )
    client_request.post(f"/admin/call-backs/{task.id}/called", {})
    assert len(audits()) == 1  # marking it again changes nothing


def test_a_task_in_another_area_cannot_be_marked(client_request, world, staff):
    far = world["tasks"]["far"]
    client_request.post(f"/admin/call-backs/{far.id}/called", {}, expected_status=404)
    db.session.refresh(far)
    assert far.done_at is None
    assert audits() == []


def test_a_note_too_long_is_shown_back_with_its_error(client_request, world, staff):
    task = world["tasks"]["older"]
    field = f"call-back-{task.id}-note"
    page = client_request.post(
        f"/admin/call-backs/{task.id}/called", {field: "很" * 501}, expected_status=400
    )
    assert page.find(id=f"{field}-error") is not None
    assert page.title.get_text(strip=True).startswith("Error: ")
    db.session.refresh(task)
    assert task.done_at is None


def test_calls_older_than_7_days_drop_off_the_page(client_request, world, staff):
    task = world["tasks"]["older"]
    task.done_at = NOW - timedelta(days=8)
    task.done_by_id = staff.id
    db.session.commit()
    page = client_request.get("/admin/call-backs")
    assert "李早" not in page.get_text()
    assert db.session.get(CallBack, task.id) is not None
