"""The SLA sweep: warnings at two thirds of the time, escalations at the deadline and 5 WD later.

It reads only cases whose `next_sla_check_at` has come (an index), locks each one with
`SKIP LOCKED` so sweeps running at once share the work, and writes each mark as a row that is
unique per (case, clock, level) — the database, not the queue, makes every warning and every
escalation happen once. After downtime only the level due now acts; the levels it jumped over
are written as superseded, so nobody gets a stale warning for a case already escalated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.models import Area, Case, CaseStatus, EventKind, SlaMark
from portal.models.base import AnySession
from portal.services import workflow
from portal.services.cases import append_event
from portal.services.escalation import DEADLINE_PASSED, area_above, escalate
from portal.services.sla import Counting, local_text
from portal.services.sla_clocks import (
    ESCALATED_1,
    ESCALATED_2,
    WARNING,
    Clock,
    auto_close_at,
    marks_due,
    reschedule,
    running_clocks,
    written_marks,
)
from portal.services.staff_notices import handlers_of, notify_staff
from portal.services.workflow import SYSTEM, Action

BATCH = 500
#: How many levels above the case's own area each escalation goes.
ESCALATION_STEPS = {ESCALATED_1: 1, ESCALATED_2: 2}
REOPEN_WINDOW_ENDED = "reopen_window_ended"


@dataclass
class SweepResult:
    cases: int = 0
    warnings: int = 0
    escalations: int = 0
    closed: int = 0


class MarkTaken(Exception):
    """Another sweep wrote this mark first; it acts on the case, this one leaves it."""


def sweep(session: AnySession, now: datetime, *, batch: int = BATCH) -> SweepResult:
    """Act on every case with a check due at `now`, `batch` cases per transaction.

    Each batch is locked with `FOR UPDATE SKIP LOCKED` (PostgreSQL), so sweeps running at once
    take different cases; each case runs in a savepoint, so one that another sweep got to
    first is rolled back alone.
    """
    counting = Counting.load(session)
    result = SweepResult()
    skipped: set[int] = set()
    while True:
        query = (
            select(Case)
            # Only the next-check index: every service clears the check when a case leaves
            # the swept statuses, and check_case clears a stray one (no clock is running).
            .where(Case.next_sla_check_at <= now)
            .order_by(Case.next_sla_check_at, Case.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        if skipped:
            query = query.where(Case.id.not_in(skipped))
        cases = list(session.scalars(query))
        if not cases:
            session.commit()
            return result
        try:
            done = _sweep_batch(session, cases, now, counting, skipped)
            session.commit()
        except OperationalError:
            # SQLite only: a writer that read before another sweep committed must start over
            # (SQLITE_BUSY_SNAPSHOT). Nothing of the batch was kept; the marks guard the retry.
            session.rollback()
            if session.get_bind().dialect.name != "sqlite":
                raise
            continue
        result.cases += done.cases
        result.warnings += done.warnings
        result.escalations += done.escalations
        result.closed += done.closed


def _sweep_batch(
    session: AnySession, cases: list[Case], now: datetime, counting: Counting, skipped: set[int]
) -> SweepResult:
    done = SweepResult()
    for case in cases:
        try:
            with session.begin_nested():
                check_case(session, case, now, counting, done)
        except MarkTaken:
            skipped.add(case.id)
            continue
        done.cases += 1
    return done


def check_case(
    session: AnySession, case: Case, now: datetime, counting: Counting, result: SweepResult
) -> None:
    """Write the marks `case` has reached, act on the current one per clock, reschedule.

    Raises MarkTaken when a mark already exists (a concurrent sweep): the caller rolls back.
    """
    if case.status == CaseStatus.RESOLVED:
        closes = auto_close_at(case, counting.zone)
        if closes is not None and closes <= now:
            _auto_close(session, case, now)
            result.closed += 1
    written = written_marks(session, case)
    for clock in running_clocks(case):
        reached = [level for level, at in marks_due(clock, counting) if at <= now]
        new = [level for level in reached if (clock.name, level) not in written]
        if not new:
            continue
        current = reached[-1]
        _write_marks(session, case, clock, new, current, now)
        written.update((clock.name, level) for level in new)
        if current not in new:
            continue
        if current == WARNING:
            _warn(session, case, clock, now, counting)
            result.warnings += 1
        else:
            _escalate(session, case, clock, current, now, counting)
            result.escalations += 1
    reschedule(session, case, counting, written)


def _write_marks(
    session: AnySession, case: Case, clock: Clock, levels: list[str], current: str, now: datetime
) -> None:
    session.add_all(
        SlaMark(
            case_id=case.id,
            clock=clock.name,
            level=level,
            superseded=level != current,
            created_at=now,
        )
        for level in levels
    )
    try:
        session.flush()
    except IntegrityError as error:
        raise MarkTaken(case.id) from error


def _warn(session: AnySession, case: Case, clock: Clock, now: datetime, counting: Counting) -> None:
    workflow.check(Action.WARN, SYSTEM, case.status)
    event = append_event(
        session,
        case,
        EventKind.SLA_WARNING,
        now=now,
        public=False,
        data={"clock": clock.kind, "due": clock.due_at.isoformat()},
    )
    notify_staff(
        session,
        handlers_of(session, case),
        template="staff_sla_warning",
        params={"reference": case.reference, "due": local_text(clock.due_at)},
        dedupe_key=f"sla_warning:{event.id}",
        case=case,
        now=now,
        counting=counting,
    )


def _escalate(
    session: AnySession, case: Case, clock: Clock, level: str, now: datetime, counting: Counting
) -> None:
    home = session.get(Area, case.area_id)
    assert home is not None
    escalate(
        session,
        case,
        actor=None,
        reason=DEADLINE_PASSED,
        now=now,
        to_area=area_above(session, home, ESCALATION_STEPS[level]),
        data={"clock": clock.kind, "level": level, "due": clock.due_at.isoformat()},
        counting=counting,
    )


def _auto_close(session: AnySession, case: Case, now: datetime) -> None:
    status = workflow.check(Action.AUTO_CLOSE, SYSTEM, case.status)
    append_event(
        session,
        case,
        EventKind.STATUS_CHANGED,
        now=now,
        data={"from": case.status.value, "to": status.value, "reason": REOPEN_WINDOW_ENDED},
    )
    case.status = status
    case.closed_at = now
