"""The SLA sweep: warnings, two escalations, downtime, working hours, auto-close, concurrency."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import (
    AreaLevel,
    Case,
    CaseEvent,
    CaseStatus,
    CaseType,
    EventKind,
    Notification,
    Role,
    SlaMark,
)
from portal.services.cases import staff_actions
from portal.services.cases.case_actions import reply as resident_reply
from portal.services.cases.sweep import sweep
from tests.factories import (
    create_area,
    create_case,
    create_resident,
    create_resident_user,
    create_user,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 17 November 2025, 10:00. A complaint: first reply by Tuesday 18 Nov 17:30,
# resolution 15 working days on, by Monday 8 December 17:30.
FILED = datetime(2025, 11, 17, 10, 0, tzinfo=SHANGHAI)
FIRST_DUE = datetime(2025, 11, 18, 17, 30, tzinfo=SHANGHAI)
WARN_AT = FILED + (FIRST_DUE - FILED) * 2 / 3  # Tuesday 07:00
SECOND_AT = datetime(2025, 11, 25, 17, 30, tzinfo=SHANGHAI)  # 5 working days after FIRST_DUE


@pytest.fixture
def places(app):
    county = create_area("511321000000", AreaLevel.COUNTY, name_zh="仪陇县")
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    return {
        "county": county,
        "township": township,
        "village": village,
        "worker": create_user(Role.VILLAGE_WORKER, area_id=village.id),
        "officer": create_user(Role.TOWNSHIP_OFFICER, area_id=township.id),
        "county_staff": create_user(Role.COUNTY_STAFF, area_id=county.id),
    }


@pytest.fixture
def case(places):
    found = create_case(create_resident(places["village"]), now=FILED)
    db.session.commit()
    return found


def _events(case: Case, kind: EventKind) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
        )
    )


def _staff_messages(template: str) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.template == template).order_by(Notification.id)
        )
    )


def _sweep(at: datetime):
    result = sweep(db.session, at)
    db.session.expire_all()
    return result


def test_nothing_happens_before_two_thirds_of_the_time(case):
    assert case.next_sla_check_at == WARN_AT
    assert _sweep(WARN_AT - timedelta(minutes=1)).cases == 0
    assert _events(case, EventKind.SLA_WARNING) == []


def test_warning_at_two_thirds_goes_to_the_village_worker_once(case, places):
    result = _sweep(WARN_AT)
    assert (result.warnings, result.escalations) == (1, 0)
    [warning] = _events(case, EventKind.SLA_WARNING)
    assert not warning.public and warning.data["clock"] == "first_response"
    [message] = _staff_messages("staff_sla_warning")
    assert message.user_id == places["worker"].id and message.resident_id is None
    assert message.to_phone == places["worker"].phone
    # Tuesday 07:00 is before staff hours begin: the message waits until 08:30.
    assert message.send_after == datetime(2025, 11, 18, 8, 30, tzinfo=SHANGHAI)
    # The next check is the deadline; sweeping again writes nothing new.
    assert db.session.get(Case, case.id).next_sla_check_at == FIRST_DUE
    assert _sweep(WARN_AT + timedelta(minutes=5)).warnings == 0
    assert len(_staff_messages("staff_sla_warning")) == 1


def test_the_assignee_alone_is_warned(case, places):
    other = create_user(Role.VILLAGE_WORKER, area_id=places["village"].id)
    staff_actions.assign(db.session, case, actor=places["worker"], assignee=other, now=FILED)
    db.session.commit()
    _sweep(WARN_AT)
    assert [m.user_id for m in _staff_messages("staff_sla_warning")] == [other.id]


def test_deadline_escalates_to_the_township_then_the_county(case, places):
    _sweep(WARN_AT)
    result = _sweep(FIRST_DUE)
    assert result.escalations == 1
    case = db.session.get(Case, case.id)
    assert case.escalation_level == 1 and case.escalated_to_area_id == places["township"].id
    [escalated] = _events(case, EventKind.ESCALATED)
    assert escalated.actor_id is None and escalated.data["reason"] == "deadline_passed"
    [message] = _staff_messages("staff_escalated")
    assert message.user_id == places["officer"].id
    assert case.next_sla_check_at == SECOND_AT

    assert _sweep(SECOND_AT - timedelta(minutes=1)).escalations == 0
    assert _sweep(SECOND_AT).escalations == 1
    case = db.session.get(Case, case.id)
    assert case.escalation_level == 2 and case.escalated_to_area_id == places["county"].id
    assert [m.user_id for m in _staff_messages("staff_escalated")] == [
        places["officer"].id,
        places["county_staff"].id,
    ]


def test_after_downtime_only_the_current_level_acts(case, places):
    result = _sweep(SECOND_AT + timedelta(days=1))
    assert (result.warnings, result.escalations) == (0, 1)
    assert _events(case, EventKind.SLA_WARNING) == []
    [escalated] = _events(case, EventKind.ESCALATED)
    assert escalated.data["level"] == "escalated_2"
    marks = {
        (m.level, m.superseded)
        for m in db.session.scalars(select(SlaMark).where(SlaMark.clock == "first_response"))
    }
    assert marks == {("warning", True), ("escalated_1", True), ("escalated_2", False)}
    assert [m.user_id for m in _staff_messages("staff_escalated")] == [places["county_staff"].id]


def test_warnings_wait_for_the_next_working_day(places):
    # Friday 26 Sep 2025 16:00; the first reply is due Sunday 28 Sep (a make-up working day).
    filed = datetime(2025, 9, 26, 16, 0, tzinfo=SHANGHAI)
    case = create_case(create_resident(places["village"]), now=filed)
    db.session.commit()
    assert case.first_response_due_at == datetime(2025, 9, 28, 17, 30, tzinfo=SHANGHAI)
    # Two thirds of the time is Sunday 01:00: a make-up working day, but before staff hours.
    warn = case.next_sla_check_at
    assert warn == datetime(2025, 9, 28, 1, 0, tzinfo=SHANGHAI)
    with time_machine.travel(warn, tick=False):
        _sweep(warn)
    [message] = _staff_messages("staff_sla_warning")
    assert message.send_after == datetime(2025, 9, 28, 8, 30, tzinfo=SHANGHAI)
    assert message.status.value == "created"


def test_a_paused_case_is_not_swept_and_its_deadline_moves(case, places):
    staff_actions.pause(db.session, case, actor=places["worker"], reason="请补充证明。", now=FILED)
    db.session.commit()
    assert _sweep(SECOND_AT + timedelta(days=10)).cases == 0
    assert _events(case, EventKind.ESCALATED) == []


def test_a_first_reply_stops_the_first_clock(case, places):
    staff_actions.public_reply(
        db.session, case, actor=places["worker"], text="收到，我们明天上门。", now=FILED
    )
    db.session.commit()
    _sweep(FIRST_DUE + timedelta(hours=1))
    assert _events(case, EventKind.ESCALATED) == []
    assert db.session.get(Case, case.id).next_sla_check_at > FIRST_DUE


def test_each_resident_message_starts_a_reply_clock(places):
    user, resident = create_resident_user(places["village"])
    case = create_case(resident, now=FILED)
    staff_actions.public_reply(db.session, case, actor=places["worker"], text="收到。", now=FILED)
    later = datetime(2025, 11, 19, 9, 0, tzinfo=SHANGHAI)  # Wednesday
    resident_reply(db.session, case, actor=user, text="什么时候来？", now=later)
    db.session.commit()
    assert case.reply_due_at == datetime(2025, 11, 20, 17, 30, tzinfo=SHANGHAI)
    _sweep(case.reply_due_at)
    [escalated] = _events(case, EventKind.ESCALATED)
    assert escalated.data["clock"] == "reply"
    # A staff answer stops that clock.
    case = db.session.get(Case, case.id)
    assert case.reply_due_at is not None
    staff_actions.public_reply(db.session, case, actor=places["worker"], text="周五。", now=later)
    db.session.commit()
    assert case.reply_due_at is None


def test_a_resolved_case_closes_when_the_reopening_window_ends(case, places):
    staff_actions.resolve(db.session, case, actor=places["worker"], text="已清理盲道。", now=FILED)
    db.session.commit()
    # Resolved Monday 17 Nov: reopening allowed through Tuesday 2 Dec.
    assert case.next_sla_check_at == datetime(2025, 12, 3, 0, 0, tzinfo=SHANGHAI)
    assert _sweep(datetime(2025, 12, 2, 23, 59, tzinfo=SHANGHAI)).closed == 0
    assert _sweep(datetime(2025, 12, 3, 0, 0, tzinfo=SHANGHAI)).closed == 1
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.CLOSED and case.next_sla_check_at is None


def test_an_urgent_case_escalates_in_hours(places):
    case = create_case(create_resident(places["village"]), case_type=CaseType.URGENT, now=FILED)
    db.session.commit()
    assert case.first_response_due_at == FILED + timedelta(hours=2)
    _sweep(FILED + timedelta(hours=2))
    assert len(_events(case, EventKind.ESCALATED)) == 1


def test_two_sweeps_at_once_act_once(app: Flask, places):
    """Both sweeps see the same due cases; each warning and escalation happens exactly once."""
    resident = create_resident(places["village"])
    cases = [create_case(resident, now=FILED) for _ in range(30)]
    db.session.commit()
    moment = FIRST_DUE + timedelta(minutes=1)  # the warning is superseded: one escalation each
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context(), Session(db.engine) as session:
                barrier.wait()
                sweep(session, moment, batch=7)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    escalations = db.session.scalar(
        select(func.count()).where(CaseEvent.kind == EventKind.ESCALATED)
    )
    assert escalations == len(cases)
    assert len(_staff_messages("staff_escalated")) == len(cases)
    assert _staff_messages("staff_sla_warning") == []


def test_flask_sla_sweep_runs_the_sweep_once(app: Flask, case):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sla", "sweep", "--at", FIRST_DUE.isoformat()])
    assert result.exit_code == 0, result.output
    assert "escalations: 1" in result.output
    again = runner.invoke(args=["sla", "sweep", "--at", FIRST_DUE.isoformat()])
    assert "cases: 0" in again.output
    refused = runner.invoke(args=["sla", "sweep", "--at", "2025-11-18T17:30"])
    assert refused.exit_code != 0 and "time zone" in refused.output


def test_a_stray_check_on_a_closed_case_is_cleared_without_acting(case):
    case.status = CaseStatus.CLOSED
    db.session.commit()
    result = _sweep(SECOND_AT)
    assert (result.warnings, result.escalations) == (0, 0)
    assert db.session.get(Case, case.id).next_sla_check_at is None
