"""The staff queue: filters, deadline states, counts and keyset pagination over `cases_for`.

Deadline states of a case (the clocks are in services.sla_clocks):
- paused: waiting for the resident; the clocks are stopped;
- overdue: its earliest running deadline has passed;
- warning: two thirds of that deadline's time are used;
- on track: otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, or_, select
from sqlalchemy.orm import selectinload

from portal.models import RUNNING_STATUSES, Case, CaseStatus, CaseType, Resident, User
from portal.models.base import AnySession
from portal.services.people.access import cases_for, in_area
from portal.services.reporting.capped_counts import capped, capped_count

PAGE_SIZE = 50
ON_TRACK, WARNING, OVERDUE, PAUSED = "on_track", "warning", "overdue", "paused"
DEADLINE_STATES = (ON_TRACK, WARNING, OVERDUE, PAUSED)
#: Status filters: "open" (the default) is new, in progress and waiting together.
OPEN, ALL = "open", "all"
STATUS_FILTERS = (OPEN, *(s.value for s in CaseStatus), ALL)
MINE, UNASSIGNED, ESCALATED_TO_ME = "mine", "unassigned", "escalated"
ASSIGNEE_FILTERS = (MINE, UNASSIGNED, ESCALATED_TO_ME)
OPEN_STATUSES = (*RUNNING_STATUSES, CaseStatus.WAITING)


@dataclass(frozen=True)
class Filters:
    case_type: str = ""
    status: str = OPEN
    deadline: str = ""
    area_id: int | None = None
    assignee: str = ""


@dataclass
class QueuePage:
    cases: list[Case]
    total: int
    by_deadline: dict[str, int] = field(default_factory=dict)
    next_cursor: str | None = None
    #: Each case's deadline state (by case id), from the same SQL as the counts.
    states: dict[int, str | None] = field(default_factory=dict)


def deadline_state(now: datetime) -> ColumnElement[str]:
    """The deadline state of each case at `now`, as SQL (None for cases not open)."""
    running = Case.status.in_(RUNNING_STATUSES)
    return case(
        (Case.status == CaseStatus.WAITING, PAUSED),
        (and_(running, Case.current_due_at < now), OVERDUE),
        (and_(running, Case.current_warn_at <= now), WARNING),
        (running, ON_TRACK),
        else_=None,
    )


def _deadline_filter(state: str, now: datetime) -> ColumnElement[bool]:
    running = Case.status.in_(RUNNING_STATUSES)
    return {
        PAUSED: Case.status == CaseStatus.WAITING,
        OVERDUE: and_(running, Case.current_due_at < now),
        WARNING: and_(running, Case.current_warn_at <= now, Case.current_due_at >= now),
        ON_TRACK: and_(
            running,
            or_(Case.current_warn_at > now, Case.current_warn_at.is_(None)),
            or_(Case.current_due_at >= now, Case.current_due_at.is_(None)),
        ),
    }[state]


def filtered(
    session: AnySession, user: User, filters: Filters, now: datetime, *, deadline: bool = True
) -> Select[Case]:
    """The user's cases narrowed by `filters` (without the deadline state when asked)."""
    query = cases_for(session, user, now.date())
    if filters.case_type in {t.value for t in CaseType}:
        query = query.where(Case.type == CaseType(filters.case_type))
    if filters.status == OPEN:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    elif filters.status in {s.value for s in CaseStatus}:
        query = query.where(Case.status == CaseStatus(filters.status))
    if filters.area_id is not None:
        query = query.where(in_area(session, filters.area_id))
    if filters.assignee == MINE:
        query = query.where(Case.assignee_id == user.id)
    elif filters.assignee == UNASSIGNED:
        query = query.where(Case.assignee_id.is_(None))
    elif filters.assignee == ESCALATED_TO_ME:
        query = query.where(Case.escalated_to_area_id == user.area_id)
    if deadline and filters.deadline in DEADLINE_STATES:
        query = query.where(_deadline_filter(filters.deadline, now))
    return query


def _count_parts(state: str, now: datetime) -> list[ColumnElement[bool]]:
    """The state's filter as conditions an index can read as ranges (their counts add up):
    "on track" is a deadline still ahead, or none; an OR of both would be read row by row."""
    if state != ON_TRACK:
        return [_deadline_filter(state, now)]
    running = Case.status.in_(RUNNING_STATUSES)
    return [
        and_(
            running,
            Case.current_due_at >= now,
            or_(Case.current_warn_at > now, Case.current_warn_at.is_(None)),
        ),
        and_(
            running,
            Case.current_due_at.is_(None),
            or_(Case.current_warn_at > now, Case.current_warn_at.is_(None)),
        ),
    ]


def encode_cursor(row: Case) -> str:
    due = row.current_due_at.isoformat() if row.current_due_at else ""
    return f"{due}~{row.id}"


def _after(cursor: str) -> ColumnElement[bool] | None:
    """Rows after `cursor` in (current_due_at NULLS LAST, id) order; None if it is malformed."""
    due_text, _, id_text = cursor.partition("~")
    if not (id_text.isascii() and id_text.isdigit() and len(id_text) <= 18):
        return None  # "²" and 5,000 digits pass isdigit() but not int()
    last_id = int(id_text)
    if not due_text:
        return and_(Case.current_due_at.is_(None), Case.id > last_id)
    try:
        due = datetime.fromisoformat(due_text)
    except ValueError:
        return None
    if due.tzinfo is None:
        return None
    return or_(
        Case.current_due_at > due,
        and_(Case.current_due_at == due, Case.id > last_id),
        Case.current_due_at.is_(None),
    )


def queue_page(
    session: AnySession,
    user: User,
    filters: Filters,
    now: datetime,
    *,
    after: str | None = None,
    size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue, the earliest deadline first, with the counts the page shows.

    Each count stops at COUNT_CAP + 1 rows, so at a province's size a page reads at most four
    capped index ranges and one page of rows, whatever the number of open cases.
    """
    query = filtered(session, user, filters, now)
    unstated = filtered(session, user, filters, now, deadline=False)
    parts = [(name, part) for name in DEADLINE_STATES for part in _count_parts(name, now)]
    counted = (capped(unstated.where(part), Case.id) for _, part in parts)
    counts = session.execute(select(*counted)).one()
    by_deadline = dict.fromkeys(DEADLINE_STATES, 0)
    for (name, _), count in zip(parts, counts, strict=True):
        by_deadline[name] += count
    if filters.deadline in DEADLINE_STATES:
        total = by_deadline[filters.deadline]
    elif filters.status == OPEN:
        total = sum(by_deadline.values())
    else:
        total = capped_count(session, query, Case.id)
    if after:
        condition = _after(after)
        if condition is not None:
            query = query.where(condition)
    order = (Case.current_due_at.asc().nulls_last(), Case.id)
    # The page's ids first, then their rows. The ids come from the deadline index alone (it
    # carries each case's area): a township's 3,000 open cases among a province's 850,000 are
    # picked out of index entries, not out of 12,000 rows read from the table.
    page_ids = query.with_only_columns(Case.id).order_by(*order).limit(size + 1)
    found = session.execute(
        select(Case, deadline_state(now).label("state"))
        .where(Case.id.in_(page_ids))
        .order_by(*order)
        # The page shows each case's resident: one query, not one per row (areas come from
        # the area tree in memory).
        .options(selectinload(Case.resident).load_only(Resident.name))
    ).all()
    rows = [row for row, _ in found]
    page = QueuePage(
        cases=rows[:size],
        total=total,
        by_deadline=by_deadline,
        states={row.id: row_state for row, row_state in found[:size]},
    )
    if len(rows) > size:
        page.next_cursor = encode_cursor(rows[size - 1])
    return page
