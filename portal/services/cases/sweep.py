"""The SLA sweep: warnings at two thirds of the time, escalations at the deadline and 5 WD later.

It reads only cases whose `next_sla_check_at` has come (an index), a batch at a time, locked
with `SKIP LOCKED` so sweeps running at once share the work, and writes each mark as a row that
is unique per (case, clock, level) — the database, not the queue, makes every warning and every
escalation happen once. After downtime only the level due now acts; the levels it jumped over
are written as superseded, so nobody gets a stale warning for a case already escalated.

Every deadline ends at 17:30, so a day's escalations come due together: a batch is acted on
as a set, in a fixed number of statements whatever its size — the marks in one insert that
skips those another sweep wrote first (only cases whose every mark this sweep wrote are acted
on), the staff and areas in one query each, the events in one insert, the cases in one update,
the staff messages in one insert — and committed on its own, so a crash loses one batch at most
and the next sweep finishes it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from portal.models import Case, CaseEvent, CaseStatus, EventKind, SlaMark
from portal.models.base import AnySession
from portal.models.bulk_rows import insert_new_rows, insert_rows, update_rows
from portal.services.cases import workflow
from portal.services.cases.escalation import (
    DEADLINE_PASSED,
    chains_above,
    escalation_event,
    event_columns,
)
from portal.services.cases.staff_notices import (
    StaffDirectory,
    load_staff,
    staff_message,
    working_hours_resume,
)
from portal.services.cases.workflow import SYSTEM, Action
from portal.services.outbound.notifications import queue_messages
from portal.services.sla.sla import Counting, local_text
from portal.services.sla.sla_clocks import (
    ESCALATED_1,
    ESCALATED_2,
    WARNING,
    Clock,
    SweptCase,
    Timeline,
    auto_close_at,
    set_schedule,
    timeline,
    written_marks_of,
)

#: Cases per batch: one transaction, a fixed number of statements.
BATCH = 1000
#: How many levels above the case's own area each escalation goes.
ESCALATION_STEPS = {ESCALATED_1: 1, ESCALATED_2: 2}
REOPEN_WINDOW_ENDED = "reopen_window_ended"
#: The columns the sweep reads (the clocks, the area, the handler, what it writes): a case of a
#: batch holds these only, not its description and the rest.
SWEPT_READS = tuple(column.name for column in fields(SweptCase))
#: The columns a sweep may change on a case: every case of a batch is updated with all of them,
#: so the batch is one UPDATE statement however its cases differ.
SWEPT_COLUMNS = (
    "status",
    "closed_at",
    "escalation_level",
    "escalated_to_area_id",
    "next_sla_check_at",
    "current_due_at",
    "current_warn_at",
)


@dataclass
class SweepResult:
    cases: int = 0
    warnings: int = 0
    escalations: int = 0
    closed: int = 0

    def add(self, other: SweepResult) -> None:
        self.cases += other.cases
        self.warnings += other.warnings
        self.escalations += other.escalations
        self.closed += other.closed


@dataclass
class Plan:
    """What the sweep does to one case at `now`: its new marks, and the levels that act."""

    case: SweptCase
    written: set[tuple[str, str]]
    #: The case's running clocks and their marks, as they were before the sweep acted.
    timeline: Timeline = field(default_factory=list)
    closes: bool = False
    #: (clock, level, superseded) for each mark to write.
    marks: list[tuple[Clock, str, bool]] = field(default_factory=list)
    #: (clock, level) for each mark that acts: a warning or an escalation.
    acts: list[tuple[Clock, str]] = field(default_factory=list)


def sweep(session: AnySession, now: datetime, *, batch: int = BATCH) -> SweepResult:
    """Act on every case with a check due at `now`, `batch` cases per transaction.

    Each batch is locked with `FOR UPDATE SKIP LOCKED` (PostgreSQL), so sweeps running at once
    take different cases; a case another sweep wrote a mark of first is left to that sweep.
    """
    counting = Counting.load(session)
    result = SweepResult()
    skipped: set[int] = set()
    while True:
        query = (
            select(*[Case.__table__.c[name] for name in SWEPT_READS])
            # Only the next-check index: every service clears the check when a case leaves
            # the swept statuses, and the sweep clears a stray one (no clock is running).
            .where(Case.next_sla_check_at <= now)
            .order_by(Case.next_sla_check_at, Case.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        if skipped:
            query = query.where(Case.id.not_in(skipped))
        cases = [SweptCase(*row) for row in session.execute(query)]
        if not cases:
            session.commit()
            return result
        try:
            with _collector_paused():
                done = sweep_batch(session, cases, now, counting, skipped)
            session.commit()
        except OperationalError:
            # SQLite only: a writer that read before another sweep committed must start over
            # (SQLITE_BUSY_SNAPSHOT). Nothing of the batch was kept; the marks guard the retry.
            session.rollback()
            if session.get_bind().dialect.name != "sqlite":
                raise
            continue
        result.add(done)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is acted on: the batch's rows,
    dicts and JSON are freed by reference counting when it ends, but the tens of thousands of
    them that live through it set off full collections, each walking every object of the
    process (a fifth of the sweep's CPU at 10,000 cases). The collector's counts carry on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sweep_batch(
    session: AnySession,
    cases: list[SweptCase],
    now: datetime,
    counting: Counting,
    skipped: set[int],
) -> SweepResult:
    """Act on `cases` as a set (see the module's docstring); the caller commits.

    A case with a mark another sweep wrote first is added to `skipped` and left untouched.
    """
    written = written_marks_of(session, [case.id for case in cases])
    plans = [plan_case(case, written[case.id], now, counting) for case in cases]
    taken = _write_marks(session, plans, now)
    skipped.update(taken)
    plans = [plan for plan in plans if plan.case.id not in taken]
    escalating = [plan.case.area_id for plan in plans for _, level in plan.acts if level != WARNING]
    chains = chains_above(session, escalating, max(ESCALATION_STEPS.values()))
    targets = {plan.case.id: _targets(plan, chains) for plan in plans}
    warned = [plan.case for plan in plans if any(level == WARNING for _, level in plan.acts)]
    staff = load_staff(
        session,
        handled=warned,
        escalated_to={area_id for found in targets.values() for area_id, _ in found.values()},
    )
    done = SweepResult(cases=len(plans))
    events: list[dict[str, Any]] = []
    notices: list[Notice] = []
    for plan in plans:
        _act(plan, targets.get(plan.case.id, {}), now, events, notices, done)
        plan.written.update((clock.name, level) for clock, level, _ in plan.marks)
        set_schedule(plan.case, plan.timeline, plan.written, counting)
    event_ids = insert_rows(session, CaseEvent, events)
    _update_cases(session, [plan.case for plan in plans])
    _tell_staff(session, notices, event_ids, staff, targets, now, counting)
    return done


def _act(
    plan: Plan,
    targets: dict[str, tuple[int, str]],
    now: datetime,
    events: list[dict[str, Any]],
    notices: list[Notice],
    done: SweepResult,
) -> None:
    """Close, warn and escalate `plan`'s case in memory, adding its events and notices."""
    case = plan.case
    if plan.closes:
        events.append(_auto_close(case, now))
        done.closed += 1
    for clock, level in plan.acts:
        if level == WARNING:
            events.append(_warning(case, clock, now))
            done.warnings += 1
        else:
            area_id, code = targets[level]
            data = {"clock": clock.kind, "level": level, "due": clock.due_at.isoformat()}
            events.append(
                escalation_event(
                    case,
                    to_area_id=area_id,
                    to_area_code=code,
                    reason=DEADLINE_PASSED,
                    now=now,
                    data=data,
                )
            )
            done.escalations += 1
        notices.append(Notice(len(events) - 1, case, clock, level, case.escalation_level))


@dataclass(frozen=True)
class Notice:
    """A warning or an escalation to tell the staff about, once its event has an id."""

    event: int  # the event's index in the batch
    case: SweptCase
    clock: Clock
    level: str
    escalation_level: int


def _update_cases(session: AnySession, cases: list[SweptCase]) -> None:
    """Write the swept columns of `cases` in one statement: the same columns for every case,
    whatever changed."""
    rows = [
        {"id": case.id, **{name: getattr(case, name) for name in SWEPT_COLUMNS}} for case in cases
    ]
    update_rows(session, Case, rows)


def plan_case(
    case: SweptCase, written: set[tuple[str, str]], now: datetime, counting: Counting
) -> Plan:
    """The marks `case` has reached at `now` and not written yet, and which of them act."""
    plan = Plan(case, written, timeline(case, counting))
    if case.status == CaseStatus.RESOLVED:
        closes = auto_close_at(case, counting.zone)
        plan.closes = closes is not None and closes <= now
    # A resolved case has no running clock (nor, once closed, any other).
    for clock, marks in plan.timeline:
        reached = [level for level, at in marks if at <= now]
        new = [level for level in reached if (clock.name, level) not in written]
        if not new:
            continue
        current = reached[-1]
        plan.marks += [(clock, level, level != current) for level in new]
        if current in new:
            plan.acts.append((clock, current))
    return plan


def _write_marks(session: AnySession, plans: list[Plan], now: datetime) -> set[int]:
    """Insert every planned mark in one statement, skipping those that exist; the ids of the
    cases with a mark another sweep wrote first (theirs: the marks written here are removed)."""
    rows: list[dict[str, Any]] = [
        {
            "case_id": plan.case.id,
            "clock": clock.name,
            "level": level,
            "superseded": superseded,
            "created_at": now,
        }
        for plan in plans
        for clock, level, superseded in plan.marks
    ]
    inserted = insert_new_rows(
        session,
        SlaMark,
        rows,
        unique=("case_id", "clock", "level"),
        returning=("id", "case_id", "clock", "level"),
    )
    mine = {(row.case_id, row.clock, row.level) for row in inserted}
    taken: set[int] = {
        row["case_id"] for row in rows if (row["case_id"], row["clock"], row["level"]) not in mine
    }
    ours = [row.id for row in inserted if row.case_id in taken]
    if ours:
        session.execute(delete(SlaMark).where(SlaMark.id.in_(ours)))
    return taken


def _targets(plan: Plan, chains: dict[int, list[tuple[int, str]]]) -> dict[str, tuple[int, str]]:
    """(area id, code) each escalation level of `plan` goes to, from its area's chain."""
    chain = chains.get(plan.case.area_id, [])
    return {
        level: chain[min(ESCALATION_STEPS[level], len(chain) - 1)]
        for _, level in plan.acts
        if level != WARNING
    }


def _warning(case: SweptCase, clock: Clock, now: datetime) -> dict[str, Any]:
    workflow.check(Action.WARN, SYSTEM, case.status)
    return event_columns(
        case,
        EventKind.SLA_WARNING,
        now,
        public=False,
        data={"clock": clock.kind, "due": clock.due_at.isoformat()},
    )


def _auto_close(case: SweptCase, now: datetime) -> dict[str, Any]:
    status = workflow.check(Action.AUTO_CLOSE, SYSTEM, case.status)
    event = event_columns(
        case,
        EventKind.STATUS_CHANGED,
        now,
        public=True,
        data={"from": case.status.value, "to": status.value, "reason": REOPEN_WINDOW_ENDED},
    )
    case.status = status
    case.closed_at = now
    return event


def _tell_staff(
    session: AnySession,
    notices: list[Notice],
    event_ids: list[int],
    staff: StaffDirectory,
    targets: dict[int, dict[str, tuple[int, str]]],
    now: datetime,
    counting: Counting,
) -> None:
    """The handlers hear of a warning, the staff of the area above of an escalation."""
    send_after = working_hours_resume(now, counting)
    rows = []
    for notice in notices:
        case, event_id = notice.case, event_ids[notice.event]
        if notice.level == WARNING:
            users = staff.handlers_of(case)
            template, key = "staff_sla_warning", f"sla_warning:{event_id}"
            params: dict[str, Any] = {
                "reference": case.reference,
                "due": local_text(notice.clock.due_at),
            }
        else:
            users = staff.escalation_contacts(targets[case.id][notice.level][0])
            template, key = "staff_escalated", f"escalated:{event_id}"
            params = {"reference": case.reference, "level": notice.escalation_level}
        rows += [
            staff_message(
                user,
                template=template,
                params=params,
                dedupe_key=key,
                case_id=case.id,
                now=now,
                send_after=send_after,
            )
            for user in users
        ]
    queue_messages(session, rows)
