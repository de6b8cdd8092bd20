"""The SLA sweep in batches: many due cases acted on exactly once, batch by batch, in a number
of statements that grows with the batches and not with the cases."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

import portal.clients.job_queue as job_queue
import portal.services.cases.sweep as sweep_module
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
from portal.services.cases.sweep import sweep
from tests.factories import create_area, create_case, create_resident, create_user
from tests.query_count import count_queries

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 17 November 2025, 10:00: a complaint's first reply is due Tuesday 17:30.
FILED = datetime(2025, 11, 17, 10, 0, tzinfo=SHANGHAI)
FIRST_DUE = datetime(2025, 11, 18, 17, 30, tzinfo=SHANGHAI)
WARN_AT = FILED + (FIRST_DUE - FILED) * 2 / 3
AFTER_DEADLINE = FIRST_DUE + timedelta(minutes=1)


@pytest.fixture
def places(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    return {
        "county": county,
        "township": township,
        "village": village,
        "worker": create_user(Role.VILLAGE_WORKER, area_id=village.id),
        "officers": [create_user(Role.TOWNSHIP_OFFICER, area_id=township.id) for _ in range(2)],
    }


def _cases(places, count: int) -> list[Case]:
    resident = create_resident(places["village"])
    cases = [create_case(resident, now=FILED) for _ in range(count)]
    db.session.commit()
    return cases


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _escalations_per_case() -> Counter[int]:
    return Counter(
        db.session.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == EventKind.ESCALATED))
    )


def test_many_due_cases_in_small_batches_are_acted_on_once_each(places):
    cases = _cases(places, 120)
    result = sweep(db.session, AFTER_DEADLINE, batch=25)
    assert (result.cases, result.escalations, result.warnings) == (120, 120, 0)
    again = sweep(db.session, AFTER_DEADLINE, batch=25)
    assert (again.cases, again.escalations) == (0, 0)
    db.session.expire_all()
    assert _escalations_per_case() == Counter({case.id: 1 for case in cases})
    # The warning jumped over is written as superseded; one escalation mark per case.
    marks = Counter(db.session.execute(select(SlaMark.level, SlaMark.superseded)).all())
    assert marks == {("warning", True): 120, ("escalated_1", False): 120}
    messages = db.session.scalars(
        select(Notification).where(Notification.template == "staff_escalated")
    ).all()
    officers = {officer.id for officer in places["officers"]}
    assert len(messages) == 240 and {m.user_id for m in messages} == officers
    assert {m.params["level"] for m in messages} == {1}
    for case in db.session.scalars(select(Case)):
        assert case.escalation_level == 1
        assert case.escalated_to_area_id == places["township"].id
        assert case.next_sla_check_at is not None and case.next_sla_check_at > AFTER_DEADLINE


def test_a_sweep_that_fails_mid_way_keeps_the_batches_done_and_a_rerun_finishes(
    places, monkeypatch
):
    cases = _cases(places, 60)
    real = sweep_module.sweep_batch
    calls = []

    def failing_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "sweep_batch", failing_third)
    with pytest.raises(RuntimeError):
        sweep(db.session, AFTER_DEADLINE, batch=20)
    db.session.rollback()
    assert sum(_escalations_per_case().values()) == 40  # two batches committed
    monkeypatch.setattr(sweep_module, "sweep_batch", real)
    assert sweep(db.session, AFTER_DEADLINE, batch=20).escalations == 20
    db.session.expire_all()
    assert _escalations_per_case() == Counter({case.id: 1 for case in cases})
    assert _count(Notification, Notification.template == "staff_escalated") == 120


def test_the_garbage_collector_is_paused_for_a_batch_only(places, monkeypatch):
    """Off while a batch is acted on, on again after it, whether the batch ends or fails."""
    _cases(places, 30)
    real = sweep_module.sweep_batch
    during = []

    def watched(*args, **kwargs):
        during.append(gc.isenabled())
        if len(during) == 2:
            raise RuntimeError("worker lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "sweep_batch", watched)
    with pytest.raises(RuntimeError):
        sweep(db.session, AFTER_DEADLINE, batch=20)
    db.session.rollback()
    assert during == [False, False] and gc.isenabled()
    gc.disable()  # one that was off before the sweep stays off
    try:
        sweep(db.session, AFTER_DEADLINE, batch=20)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert during == [False, False, False]


def test_a_case_whose_mark_another_sweep_wrote_is_left_to_it(places, monkeypatch):
    """Another sweep wrote a mark after this one read the marks (the race the unique mark
    settles): this sweep neither acts on that case nor leaves its own marks of it behind."""
    taken, *others = _cases(places, 5)
    db.session.add(
        SlaMark(case_id=taken.id, clock="first_response", level="escalated_1", created_at=FILED)
    )
    db.session.commit()
    read = sweep_module.written_marks_of

    def read_before_the_other_sweep(session, case_ids):
        found = read(session, case_ids)
        found[taken.id] = set()
        return found

    monkeypatch.setattr(sweep_module, "written_marks_of", read_before_the_other_sweep)
    result = sweep(db.session, AFTER_DEADLINE)
    assert (result.cases, result.escalations) == (4, 4)
    db.session.expire_all()
    assert _escalations_per_case() == Counter({case.id: 1 for case in others})
    levels = db.session.scalars(select(SlaMark.level).where(SlaMark.case_id == taken.id)).all()
    assert levels == ["escalated_1"]  # its superseded warning, written here, was removed
    assert db.session.get(Case, taken.id).escalation_level == 0


def test_one_batch_mixes_warnings_escalations_closing_and_stray_checks(places):
    resident = create_resident(places["village"])
    warned, assigned, stray = (create_case(resident, now=FILED) for _ in range(3))
    other = create_user(Role.VILLAGE_WORKER, area_id=places["village"].id)
    staff_actions.assign(db.session, assigned, actor=places["worker"], assignee=other, now=FILED)
    # An urgent case filed three hours before: its two hours are up, so it escalates.
    urgent = create_case(resident, case_type=CaseType.URGENT, now=WARN_AT - timedelta(hours=3))
    # Resolved 20 days before: the reopening window (15 days) has ended.
    long_ago = FILED - timedelta(days=20)
    resolved = create_case(resident, now=long_ago)
    staff_actions.resolve(
        db.session, resolved, actor=places["worker"], text="已解决。", now=long_ago
    )
    stray.status = CaseStatus.CLOSED  # a check left on a closed case
    db.session.commit()

    result = sweep(db.session, WARN_AT)
    assert (result.cases, result.warnings, result.escalations, result.closed) == (5, 2, 1, 1)
    db.session.expire_all()
    warnings = db.session.scalars(
        select(Notification).where(Notification.template == "staff_sla_warning")
    ).all()
    # The area's handlers (both village workers) hear of a case nobody is assigned; the
    # assignee alone of the assigned one.
    assert {(m.case_id, m.user_id) for m in warnings} == {
        (warned.id, places["worker"].id),
        (warned.id, other.id),
        (assigned.id, other.id),
    }
    escalated = db.session.scalars(
        select(Notification).where(Notification.template == "staff_escalated")
    ).all()
    assert {(m.case_id, m.user_id) for m in escalated} == {
        (urgent.id, officer.id) for officer in places["officers"]
    }
    assert db.session.get(Case, urgent.id).escalation_level == 1
    assert db.session.get(Case, resolved.id).status == CaseStatus.CLOSED
    assert db.session.get(Case, resolved.id).next_sla_check_at is None
    assert db.session.get(Case, stray.id).next_sla_check_at is None
    kinds = Counter(db.session.scalars(select(CaseEvent.kind).where(CaseEvent.actor_id.is_(None))))
    assert kinds[EventKind.SLA_WARNING] == 2 and kinds[EventKind.ESCALATED] == 1
    assert kinds[EventKind.STATUS_CHANGED] >= 1


@pytest.fixture
def queued(monkeypatch):
    """Delivery jobs recorded instead of run inline, so the counts are the sweep's own."""
    jobs: list[tuple] = []
    monkeypatch.setattr(job_queue, "dispatch", lambda *job: jobs.append(job))
    return jobs


def _statements_to_sweep(places, count: int) -> int:
    _cases(places, count)
    with count_queries() as queries:
        result = sweep(db.session, AFTER_DEADLINE)
    assert result.escalations == count
    return queries.count


def test_the_sweep_statements_do_not_grow_with_the_cases(places, queued):
    """One batch: as many statements for 10 due cases as for 200 (an N+1 would show)."""
    assert _statements_to_sweep(places, 10) == _statements_to_sweep(places, 200)


def test_the_sweep_statements_grow_with_the_batches_only(places, queued):
    few = _statements_to_sweep(places, 10)
    # 40 cases in batches of 10: three batches more, each costing what the first did.
    _cases(places, 40)
    with count_queries() as queries:
        sweep(db.session, AFTER_DEADLINE, batch=10)
    per_batch = few - 3  # the calendar (2) and the empty read that ends the sweep are once
    assert queries.count == few + 3 * per_batch
