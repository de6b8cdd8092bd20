"""The three clocks of a case and when the SLA sweep should next look at it.

A case runs up to three clocks (Zammad's): the first response, an answer after each message
from the resident (the reply clock, one per message), and the resolution (counted again after
each reopening). Each clock has three marks: a warning at two thirds of the time allowed, the
first escalation at the deadline, and the second five working days later. `Case.next_sla_check_at`
is the earliest mark not yet written, so the sweep reads only cases with something due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.models import (
    RUNNING_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    SlaMark,
    SlaPolicy,
)
from portal.models.base import AnySession
from portal.services.sla.deadlines import Unit, compute_due, extend_for_pause, warn_at
from portal.services.sla.sla import Counting

FIRST_RESPONSE, RESOLUTION, REPLY = "first_response", "resolution", "reply"
WARNING, ESCALATED_1, ESCALATED_2 = "warning", "escalated_1", "escalated_2"
LEVELS = (WARNING, ESCALATED_1, ESCALATED_2)
#: The second escalation comes this many working days after the deadline (domain.md).
SECOND_ESCALATION_WORKING_DAYS = 5
#: A resolved case may be reopened until the end of this many days after its resolution.
REOPEN_DAYS = 15


class ClockedCase(Protocol):
    """What the clocks of a case are read from and its schedule written to: a `Case`, or the
    sweep's `SweptCase`."""

    status: CaseStatus
    created_at: datetime
    clock_started_at: datetime | None
    first_response_due_at: datetime | None
    first_responded_at: datetime | None
    reply_requested_at: datetime | None
    reply_due_at: datetime | None
    resolve_due_at: datetime | None
    reopen_count: int
    resolved_at: datetime | None
    next_sla_check_at: datetime | None
    current_due_at: datetime | None
    current_warn_at: datetime | None


@dataclass(slots=True)
class SweptCase:
    """The columns of a case the SLA sweep reads and writes, as a plain object: a batch of
    them is read as rows and written back in one statement, so the session needs no copy to
    track, and reading an ORM instance's attributes (descriptors, change events) cost more
    than the sweep's own arithmetic. The field order is the order the sweep selects."""

    id: int
    reference: str
    status: CaseStatus
    area_id: int
    assignee_id: int | None
    created_at: datetime
    clock_started_at: datetime | None
    first_response_due_at: datetime | None
    first_responded_at: datetime | None
    reply_requested_at: datetime | None
    reply_due_at: datetime | None
    resolve_due_at: datetime | None
    reopen_count: int
    resolved_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    escalated_to_area_id: int | None
    next_sla_check_at: datetime | None
    current_due_at: datetime | None
    current_warn_at: datetime | None


@dataclass(frozen=True)
class Clock:
    name: str  # first_response, reply:<unix time of the message>, resolution[:<reopen count>]
    started_at: datetime
    due_at: datetime

    @property
    def kind(self) -> str:
        return self.name.partition(":")[0]


#: Each running clock with its marks (`marks_due`), in the order of `running_clocks`.
Timeline = list[tuple[Clock, list[tuple[str, datetime]]]]


def running_clocks(case: ClockedCase) -> list[Clock]:
    """The clocks that are counting now; none while the case waits for the resident."""
    if case.status not in RUNNING_STATUSES:
        return []
    clocks = []
    if case.first_responded_at is None and case.first_response_due_at is not None:
        clocks.append(Clock(FIRST_RESPONSE, case.created_at, case.first_response_due_at))
    if case.reply_due_at is not None and case.reply_requested_at is not None:
        name = f"{REPLY}:{int(case.reply_requested_at.timestamp())}"
        clocks.append(Clock(name, case.reply_requested_at, case.reply_due_at))
    if case.resolve_due_at is not None:
        name = RESOLUTION if case.reopen_count == 0 else f"{RESOLUTION}:{case.reopen_count}"
        clocks.append(Clock(name, case.clock_started_at or case.created_at, case.resolve_due_at))
    return clocks


def marks_due(clock: Clock, counting: Counting) -> list[tuple[str, datetime]]:
    """(level, when) for the clock's warning and two escalations, in order."""
    second = _second_escalation_at(clock.due_at, counting)
    return [
        (WARNING, warn_at(clock.started_at, clock.due_at)),
        (ESCALATED_1, clock.due_at),
        (ESCALATED_2, max(second, clock.due_at)),
    ]


def timeline(case: ClockedCase, counting: Counting) -> Timeline:
    """The running clocks of `case` with their marks, computed once for the sweep to plan
    with and to reschedule from (`set_schedule`)."""
    return [(clock, marks_due(clock, counting)) for clock in running_clocks(case)]


@lru_cache(maxsize=4096)
def _second_escalation_at(due_at: datetime, counting: Counting) -> datetime:
    # Remembered: deadlines end at close of business, so a sweep's cases share a few of them
    # (a 17:30 burst, one), and the sweep asks again when it reschedules.
    return compute_due(
        due_at,
        SECOND_ESCALATION_WORKING_DAYS,
        Unit.WORKING_DAYS,
        counting.calendar,
        tz=counting.zone,
        close_of_business=counting.closing,
    ).due_at


def auto_close_at(case: ClockedCase, zone: ZoneInfo) -> datetime | None:
    """When a resolved case closes by itself: the end of its last day for reopening."""
    if case.resolved_at is None:
        return None
    last_day = case.resolved_at.astimezone(zone).date() + timedelta(days=REOPEN_DAYS)
    return datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=zone)


def _next_check(
    case: ClockedCase, clocks: Timeline, written: set[tuple[str, str]], counting: Counting
) -> datetime | None:
    if case.status == CaseStatus.RESOLVED:
        return auto_close_at(case, counting.zone)
    moments = [
        at for clock, marks in clocks for level, at in marks if (clock.name, level) not in written
    ]
    return min(moments, default=None)


def written_marks(session: AnySession, case: Case) -> set[tuple[str, str]]:
    rows = session.execute(select(SlaMark.clock, SlaMark.level).where(SlaMark.case_id == case.id))
    return {(clock, level) for clock, level in rows}


def written_marks_of(session: AnySession, case_ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    """`written_marks` of many cases in one query; every id gets a set, empty or not."""
    found: dict[int, set[tuple[str, str]]] = {case_id: set() for case_id in case_ids}
    if case_ids:
        rows = session.execute(
            select(SlaMark.case_id, SlaMark.clock, SlaMark.level).where(
                SlaMark.case_id.in_(case_ids)
            )
        )
        for case_id, clock, level in rows:
            found[case_id].add((clock, level))
    return found


def reschedule(
    session: AnySession,
    case: Case,
    counting: Counting | None = None,
    written: set[tuple[str, str]] | None = None,
) -> None:
    """Rewrite the SLA schedule after anything that moved a clock or a status.

    `next_sla_check_at` is when the sweep looks next; `current_due_at`/`current_warn_at` are
    the queue's deadline and warning moment. A paused case keeps them as they were: the queue
    shows what was due when the clock stopped.
    """
    counting = counting or Counting.load(session)
    if written is None:
        written = written_marks(session, case)
    set_schedule(case, timeline(case, counting), written, counting)


def set_schedule(
    case: ClockedCase, clocks: Timeline, written: set[tuple[str, str]], counting: Counting
) -> None:
    """`reschedule` from the case's `timeline`, computed before: the sweep plans with it, and
    nothing the sweep does moves a running clock (closing a resolved case leaves none)."""
    case.next_sla_check_at = _next_check(case, clocks, written, counting)
    if clocks:
        first = min((clock for clock, _ in clocks), key=lambda clock: clock.due_at)
        case.current_due_at = first.due_at
        case.current_warn_at = warn_at(first.started_at, first.due_at)
    elif case.status != CaseStatus.WAITING:
        case.current_due_at = case.current_warn_at = None


def _policy(session: AnySession, case: Case) -> SlaPolicy | None:
    return session.scalar(select(SlaPolicy).where(SlaPolicy.case_type == case.type.value))


def start_reply_clock(session: AnySession, case: Case, now: datetime) -> None:
    """The resident wrote: staff owe an answer within the first-response time of the policy.

    Before the first response the first-response clock already covers it.
    """
    policy = _policy(session, case)
    if case.first_responded_at is None or policy is None or case.status not in RUNNING_STATUSES:
        return
    counting = Counting.load(session)
    due = compute_due(
        now,
        policy.ack_amount,
        Unit(policy.ack_unit),
        counting.calendar,
        tz=counting.zone,
        close_of_business=counting.closing,
    )
    case.reply_requested_at, case.reply_due_at = now, due.due_at
    case.calendar_unknown = case.calendar_unknown or due.calendar_unknown
    reschedule(session, case, counting)


def stop_reply_clock(case: Case) -> None:
    case.reply_requested_at = case.reply_due_at = None


def paused_since(session: AnySession, case: Case) -> datetime | None:
    return session.scalar(
        select(CaseEvent.created_at)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.PAUSED)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )


def push_for_pause(session: AnySession, case: Case, paused_from: datetime, now: datetime) -> None:
    """Move every running deadline on by the working time the pause took (domain.md)."""
    policy = _policy(session, case)
    if policy is None:
        return
    counting = Counting.load(session)

    def pushed(due: datetime | None, unit: str) -> datetime | None:
        if due is None:
            return None
        at_close = counting.closing if Unit(unit) is not Unit.HOURS else None
        return extend_for_pause(
            due,
            paused_from,
            now,
            Unit(unit),
            counting.calendar,
            tz=counting.zone,
            close_of_business=at_close,
        )

    if case.first_responded_at is None:
        case.first_response_due_at = pushed(case.first_response_due_at, policy.ack_unit)
    case.reply_due_at = pushed(case.reply_due_at, policy.ack_unit)
    case.resolve_due_at = pushed(case.resolve_due_at, policy.resolve_unit)
