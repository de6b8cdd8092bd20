"""Keeping the reporting summaries current (the tables of `portal.models.summary`).

The coverage, dashboard and supervision pages sum summary rows over the areas in scope instead
of scanning 5 M deliveries and 1 M cases on every view. The rows are kept current like this:

- **Marks on change.** Any flush that adds, changes or removes a case, resident, rating,
  delivery, needs answer or supervision check writes a `summary_mark` row (the area, the
  resident or the round touched) in the same transaction, so no change is lost even when the
  scheduler is down. A change of a coverage target marks everything.
- **Refresh** (`refresh`, every scheduler interval): reads the marks, works out the areas
  touched (a resident's area and the areas of their cases), adds the areas whose cases passed a
  deadline since the last refresh (the dashboard's "overdue" and "due" counts move with the
  clock: found on the two indexes the queue and the SLA sweep already use), then rebuilds the
  rows of those areas only (all months of their cases; this year's and last year's coverage),
  rolls the dashboard's subtree rows up the areas' chains (each area from its children's rows),
  and deletes the marks it read. Its cost is that of the areas changed and their chain, a few
  villages a minute, not of the database.
- **Rebuild** (`rebuild`: `flask summaries rebuild`, the dashboard's button, the first refresh
  of a fresh install, and once a day as a safety net for changes made outside the ORM, such as a
  bulk SQL update): every row again, area batch by area batch, in one transaction so pages keep
  the previous figures until it commits.

`SummaryState.refreshed_at` is the figures' "as of" time, shown on every page that reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, event, func, insert, literal, or_, select, text
from sqlalchemy.orm import Session, attributes

from portal.models import (
    OPEN_STATUSES,
    Area,
    Case,
    CaseSummary,
    CoverageSummary,
    CoverageTarget,
    Delivery,
    NeedsAnswer,
    NeedsRecord,
    Plan,
    PlanItem,
    Rating,
    ReplyTimeSummary,
    ReplyTimeTotalSummary,
    Resident,
    ServiceSummary,
    SummaryMark,
    SummaryState,
    SupervisionInstitutionSummary,
    SupervisionItem,
    SupervisionRound,
    SupervisionSample,
    SupervisionSummary,
)
from portal.models.base import AnySession, utcnow
from portal.services.reference.area_tree import area_tree
from portal.services.reporting import summary_build as build
from portal.services.reporting import summary_coverage

log = logging.getLogger(__name__)

#: A full rebuild at least this often, for changes that left no mark (bulk SQL updates).
REBUILD_EVERY = timedelta(hours=24)
#: Areas worked out together: one query per table per batch.
AREA_BATCH = 200
#: Coverage years a rebuild writes: this year and the two before (the years the page offers).
COVERAGE_YEARS = 2
#: Any number: PostgreSQL's advisory lock that keeps two refreshes from running at once.
LOCK_KEY = 120_012


@dataclass(frozen=True)
class Refreshed:
    areas: int
    rounds: int
    rebuilt: bool
    skipped: bool = False


def as_of(session: AnySession) -> datetime | None:
    """When the figures were last brought up to date; None before the first build."""
    return session.scalar(select(SummaryState.refreshed_at).where(SummaryState.id == 1))


def refresh(session: AnySession, now: datetime, zone: ZoneInfo) -> Refreshed:
    """Bring the summaries up to `now`: the areas marked or past a deadline, else a rebuild
    when there is no summary yet, one is asked for, or the last is a day old. Flushes."""
    if not _lock(session):
        return Refreshed(0, 0, rebuilt=False, skipped=True)
    state = session.get(SummaryState, 1)
    top = session.scalar(select(func.max(SummaryMark.id))) or 0
    marks = session.execute(
        select(SummaryMark.kind, SummaryMark.ref_id).where(SummaryMark.id <= top)
    ).all()
    if state is None or state.rebuilt_at <= now - REBUILD_EVERY or ("all", None) in marks:
        return rebuild(session, now, zone)
    areas = _areas_marked(session, marks) | _areas_past_deadline(session, state.refreshed_at, now)
    rounds = {ref for kind, ref in marks if kind == "round" and ref is not None}
    today = now.astimezone(zone).date()
    months: set[date] = set()
    for batch in _batches(sorted(areas)):
        months |= build.build_cases(session, batch, now, zone)
        for year in (today.year - 1, today.year):
            summary_coverage.build_coverage(session, batch, year)
    build.roll_up(session, _parents(session), areas, months)
    if rounds:
        build.build_rounds(session, rounds)
    session.execute(delete(SummaryMark).where(SummaryMark.id <= top))
    state.refreshed_at = now
    session.flush()
    return Refreshed(len(areas), len(rounds), rebuilt=False)


def rebuild(session: AnySession, now: datetime, zone: ZoneInfo) -> Refreshed:
    """Every summary row again from the raw tables, as at `now`. Flushes."""
    _lock(session, wait=True)
    top = session.scalar(select(func.max(SummaryMark.id))) or 0
    for model in (
        CaseSummary,
        ReplyTimeSummary,
        ReplyTimeTotalSummary,
        CoverageSummary,
        ServiceSummary,
        SupervisionSummary,
        SupervisionInstitutionSummary,
    ):
        session.execute(delete(model))
    area_ids = list(session.scalars(select(Area.id).order_by(Area.id)))
    today = now.astimezone(zone).date()
    for batch in _batches(area_ids):
        build.build_cases(session, batch, now, zone)
        for year in range(today.year - COVERAGE_YEARS, today.year + 1):
            summary_coverage.build_coverage(session, batch, year)
    build.roll_up(session, _parents(session), area_ids)
    round_ids = list(session.scalars(select(SupervisionRound.id)))
    for batch in _batches(round_ids):
        build.build_rounds(session, batch)
    session.execute(delete(SummaryMark).where(SummaryMark.id <= top))
    state = session.get(SummaryState, 1)
    if state is None:
        session.add(SummaryState(id=1, refreshed_at=now, rebuilt_at=now))
    else:
        state.refreshed_at = state.rebuilt_at = now
    session.flush()
    log.info("summaries rebuilt", extra={"areas": len(area_ids), "rounds": len(round_ids)})
    return Refreshed(len(area_ids), len(round_ids), rebuilt=True)


def ask_rebuild(session: AnySession) -> None:
    """Have the next refresh rebuild everything (the administrator's button). Flushes."""
    session.add(SummaryMark(kind="all", ref_id=None))
    session.flush()


def _parents(session: AnySession) -> dict[int, int | None]:
    tree = area_tree(session)
    return {node.id: node.parent_id for node in tree.nodes.values()}


def _lock(session: AnySession, *, wait: bool = False) -> bool:
    """One writer of the summaries at a time, until the transaction ends: a refresh skips its
    turn while another runs, a rebuild waits for it."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite serialises writers itself
    if wait:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}))


def _batches(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), AREA_BATCH):
        yield ids[start : start + AREA_BATCH]


def _areas_marked(session: AnySession, marks: Iterable[tuple[str, int | None]]) -> set[int]:
    areas: set[int] = set()
    residents: set[int] = set()
    for kind, ref in marks:
        if ref is not None and kind == "area":
            areas.add(ref)
        elif ref is not None and kind == "resident":
            residents.add(ref)
    for start in range(0, len(residents), 1000):
        chunk = sorted(residents)[start : start + 1000]
        areas.update(session.scalars(select(Resident.area_id).where(Resident.id.in_(chunk))))
        areas.update(
            session.scalars(select(Case.area_id).where(Case.resident_id.in_(chunk)).distinct())
        )
    return areas


def _areas_past_deadline(session: AnySession, since: datetime, now: datetime) -> set[int]:
    """Areas with an open case whose first-reply or current deadline fell in (since, now]."""
    query = (
        select(Case.area_id)
        .where(
            Case.status.in_(OPEN_STATUSES),
            or_(
                and_(Case.first_response_due_at > since, Case.first_response_due_at <= now),
                and_(Case.current_due_at > since, Case.current_due_at <= now),
            ),
        )
        .distinct()
    )
    return set(session.scalars(query))


# --- marks, written in the transaction of the change --------------------------------------


def _area_ids(obj: Any) -> set[int]:
    """The object's area now and, if it moved in this flush, before."""
    history = attributes.get_history(obj, "area_id")
    return {a for a in (obj.area_id, *history.deleted) if a is not None}


def _by_subquery(kind: str, column: Any, query: Any) -> Any:
    return insert(SummaryMark).from_select(
        ["kind", "ref_id", "created_at"],
        query.with_only_columns(
            literal(kind), column, literal(utcnow(), SummaryMark.created_at.type)
        ),
    )


def _collect(session: Session) -> tuple[set[tuple[str, int | None]], list[Any]]:
    marks: set[tuple[str, int | None]] = set()
    deliveries: set[int] = set()
    answers: set[int] = set()
    samples: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Case | Resident):
            marks.update(("area", a) for a in _area_ids(obj))
        elif isinstance(obj, Rating | NeedsRecord):
            marks.add(("resident", obj.resident_id))
        elif isinstance(obj, Delivery):
            deliveries.add(obj.plan_item_id)
        elif isinstance(obj, NeedsAnswer):
            answers.add(obj.record_id)
        elif isinstance(obj, SupervisionRound):
            marks.add(("round", obj.id))
        elif isinstance(obj, SupervisionSample):
            marks.add(("round", obj.round_id))
        elif isinstance(obj, SupervisionItem):
            samples.add(obj.sample_id)
        elif isinstance(obj, CoverageTarget):
            marks.add(("all", None))
    statements = []
    if deliveries:
        query = select(Plan.resident_id).join(PlanItem, PlanItem.plan_id == Plan.id)
        statements.append(
            _by_subquery("resident", Plan.resident_id, query.where(PlanItem.id.in_(deliveries)))
        )
    if answers:
        query = select(NeedsRecord.resident_id).where(NeedsRecord.id.in_(answers))
        statements.append(_by_subquery("resident", NeedsRecord.resident_id, query))
    if samples:
        query = select(SupervisionSample.round_id).where(SupervisionSample.id.in_(samples))
        statements.append(_by_subquery("round", SupervisionSample.round_id, query))
    return marks, statements


@event.listens_for(Session, "after_flush")
def mark_changes(session: Session, _context: Any) -> None:
    """after_flush: one insert of the marks this flush calls for (none for other flushes)."""
    marks, statements = _collect(session)
    if not marks and not statements:
        return
    connection = session.connection()
    if marks:
        now = utcnow()
        rows = [
            {"kind": kind, "ref_id": ref, "created_at": now} for kind, ref in sorted(marks, key=str)
        ]
        connection.execute(insert(SummaryMark), rows)
    for statement in statements:
        connection.execute(statement)
