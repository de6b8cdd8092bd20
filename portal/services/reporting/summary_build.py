"""Working out summary rows from the raw tables, for a batch of areas (see `summaries`).

Each function deletes the rows of the areas (or rounds) it is given and writes them again from
the raw rows of those areas only, so the work is proportional to the areas refreshed, never to
the whole database. Counting happens here in Python over the batch's rows, the same on SQLite
and PostgreSQL; the definitions are those of `services.dashboard` (cases, here) and
`services.coverage` (in `summary_coverage`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, literal, select, union_all

from portal.models import (
    RUNNING_STATUSES,
    SATISFIED_LEVELS,
    Area,
    Case,
    CaseStatus,
    CaseSummary,
    Rating,
    ReplyTimeSummary,
    ReplyTimeTotalSummary,
    SupervisionInstitutionSummary,
    SupervisionItem,
    SupervisionRound,
    SupervisionSample,
    SupervisionSummary,
)
from portal.models.base import AnySession


def reply_tenths(hours: float) -> int:
    """Hours to a first reply in tenths of an hour, rounded to the half hour under a day, to
    the hour under three days, to six hours under ten days and to the day beyond: about 150
    values in all, so the reply counts of a county's month stay a few hundred rows, and a
    median is exact to that rounding (replies a whole number of hours apart, exact)."""
    if hours < 24:
        return round(hours * 2) * 5
    if hours < 72:
        return round(hours) * 10
    if hours < 240:
        return round(hours / 6) * 60
    return round(hours / 24) * 240


@dataclass
class _Counts:
    received: int = 0
    answer_due: int = 0
    answered_in_time: int = 0
    resolve_due: int = 0
    resolved_in_time: int = 0
    overdue: int = 0
    ratings: int = 0
    satisfied: int = 0
    tenths: Counter[int] = field(default_factory=Counter)


def _month(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date().replace(day=1)


def build_cases(
    session: AnySession, area_ids: Collection[int], now: datetime, zone: ZoneInfo
) -> set[date]:
    """The dashboard's rows of the cases filed at `area_ids`, every month, as at `now` (then
    `roll_up` the areas and those above them); returns the months whose rows changed."""
    ids = sorted(area_ids)
    before = _own_rows(session, ids)
    for model in (CaseSummary, ReplyTimeSummary, ReplyTimeTotalSummary):
        session.execute(
            delete(model).where(model.area_id.in_(ids), model.subtree.is_(False))  # type: ignore[attr-defined]
        )
    groups = _count_cases(session, ids, now, zone)
    _write_cases(session, groups)
    after = _own_rows(session, ids)
    return {
        month for month in before.keys() | after.keys() if before.get(month) != after.get(month)
    }


def _count_cases(
    session: AnySession, ids: list[int], now: datetime, zone: ZoneInfo
) -> dict[tuple[int, date, str], _Counts]:
    """The counts of the cases filed at `ids` and of their ratings, by area, month and type."""
    groups: dict[tuple[int, date, str], _Counts] = defaultdict(_Counts)
    rows = session.execute(
        select(
            Case.area_id,
            Case.type,
            Case.created_at,
            Case.status,
            Case.first_response_due_at,
            Case.first_responded_at,
            Case.resolve_due_at,
            Case.resolved_at,
            Case.next_due_at,
        ).where(Case.area_id.in_(ids))
    )
    for (
        area_id,
        type_,
        created,
        status,
        first_due,
        first_at,
        resolve_due,
        resolved,
        next_due,
    ) in rows:
        c = groups[(area_id, _month(created, zone), type_)]
        live = status != CaseStatus.WITHDRAWN
        c.received += 1
        c.answer_due += first_at is not None or (live and first_due is not None and first_due < now)
        c.answered_in_time += first_at is not None and (first_due is None or first_at <= first_due)
        c.resolve_due += resolved is not None or (
            live and resolve_due is not None and resolve_due < now
        )
        c.resolved_in_time += resolved is not None and (
            resolve_due is None or resolved <= resolve_due
        )
        c.overdue += status in RUNNING_STATUSES and next_due is not None and next_due < now
        if first_at is not None:
            c.tenths[reply_tenths((first_at - created).total_seconds() / 3600)] += 1
    ratings = session.execute(
        select(Case.area_id, Case.type, Case.created_at, Rating.level)
        .join(Rating, Rating.case_id == Case.id)
        .where(Case.area_id.in_(ids))
    )
    for area_id, type_, created, level in ratings:
        c = groups[(area_id, _month(created, zone), type_)]
        c.ratings += 1
        c.satisfied += level in SATISFIED_LEVELS
    return groups


def _own_rows(session: AnySession, ids: list[int]) -> dict[date, set[tuple[Any, ...]]]:
    """The areas' own dashboard and reply rows by month, to tell which months changed."""
    found: dict[date, set[tuple[Any, ...]]] = defaultdict(set)
    for model, columns in (
        (CaseSummary, ("area_id", "type", *COUNT_COLUMNS)),
        (ReplyTimeSummary, ("area_id", "type", "tenths", "cases")),
    ):
        query = select(model.month, *(getattr(model, c) for c in columns)).where(
            model.area_id.in_(ids), model.subtree.is_(False)
        )
        for month, *values in session.execute(query):
            found[month].add((model.__tablename__, *values))
    return found


def _write_cases(session: AnySession, groups: dict[tuple[int, date, str], _Counts]) -> None:
    names = (
        *("received", "answer_due", "answered_in_time", "resolve_due", "resolved_in_time"),
        *("overdue", "ratings", "satisfied"),
    )
    rows = [
        {"area_id": a, "subtree": False, "month": m, "type": t}
        | {n: int(getattr(c, n)) for n in names}
        for (a, m, t), c in groups.items()
    ]
    insert_rows(session, CaseSummary, rows)
    replies = [
        {"area_id": a, "subtree": False, "month": m, "type": t, "tenths": tenths, "cases": cases}
        for (a, m, t), c in groups.items()
        for tenths, cases in c.tenths.items()
    ]
    insert_rows(session, ReplyTimeSummary, replies)
    totals: Counter[tuple[int, date, int]] = Counter()
    for (a, m, _t), c in groups.items():
        for tenths, cases in c.tenths.items():
            totals[(a, m, tenths)] += cases
    insert_rows(
        session,
        ReplyTimeTotalSummary,
        [
            {"area_id": a, "subtree": False, "month": m, "tenths": tenths, "cases": cases}
            for (a, m, tenths), cases in totals.items()
        ],
    )


COUNT_COLUMNS = (
    "received",
    "answer_due",
    "answered_in_time",
    "resolve_due",
    "resolved_in_time",
    "overdue",
    "ratings",
    "satisfied",
)


def roll_up(
    session: AnySession,
    parents: dict[int, int | None],
    area_ids: Iterable[int],
    months: Collection[date] | None = None,
) -> None:
    """The subtree rows of `area_ids` and of every area above them, deepest first: an area's
    own rows plus its children's subtree rows, so each area costs the rows of its children;
    only `months` when given (the months a refresh changed), else every month.

    `parents` maps every area to its parent (the area tree)."""
    if months is not None and not months:
        return
    wanted: set[int] = set()
    for area_id in area_ids:
        current: int | None = area_id
        while current is not None and current not in wanted:
            wanted.add(current)
            current = parents.get(current)
    by_depth: dict[int, list[int]] = defaultdict(list)
    for area_id in wanted:
        depth, current = 0, parents.get(area_id)
        while current is not None:
            depth, current = depth + 1, parents.get(current)
        by_depth[depth].append(area_id)
    for depth in sorted(by_depth, reverse=True):
        ids = sorted(by_depth[depth])
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            for model, keys, sums in (
                (CaseSummary, ("type",), COUNT_COLUMNS),
                (ReplyTimeSummary, ("type", "tenths"), ("cases",)),
                (ReplyTimeTotalSummary, ("tenths",), ("cases",)),
            ):
                _roll_up(session, model, chunk, keys, sums, months)


def _roll_up(
    session: AnySession,
    model: Any,
    ids: list[int],
    keys: tuple[str, ...],
    sums: tuple[str, ...],
    months: Collection[date] | None,
) -> None:
    in_months = [model.month.in_(sorted(months))] if months is not None else []
    session.execute(
        delete(model).where(model.area_id.in_(ids), model.subtree.is_(True), *in_months)
    )
    key_names = ("month", *keys)
    own = select(
        model.area_id.label("area_id"), *(getattr(model, n) for n in (*key_names, *sums))
    ).where(model.subtree.is_(False), model.area_id.in_(ids), *in_months)
    below = (
        select(Area.parent_id.label("area_id"), *(getattr(model, n) for n in (*key_names, *sums)))
        .join(Area, Area.id == model.area_id)
        .where(model.subtree.is_(True), Area.parent_id.in_(ids), *in_months)
    )
    rows = union_all(own, below).subquery()
    grouped = [rows.c.area_id, *(rows.c[n] for n in key_names)]
    session.execute(
        insert(model).from_select(
            ["area_id", "subtree", *key_names, *sums],
            select(
                rows.c.area_id,
                literal(True),
                *(rows.c[n] for n in key_names),
                *(func.sum(rows.c[n]) for n in sums),
            ).group_by(*grouped),
        )
    )


def insert_rows(session: AnySession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Many rows in one executemany, through the table (the ORM's bulk path costs seconds)."""
    if rows:
        session.execute(insert(model.__table__), rows)


def build_rounds(session: AnySession, round_ids: Iterable[int]) -> None:
    """The supervision rows of these rounds: samples, checks, findings and items."""
    ids = sorted(set(round_ids))
    for model in (SupervisionSummary, SupervisionInstitutionSummary):
        session.execute(delete(model).where(model.round_id.in_(ids)))  # type: ignore[attr-defined]
    rounds: dict[int, tuple[int, date, Counter[str]]] = {
        rid: (area_id, month, Counter())
        for rid, area_id, month in session.execute(
            select(SupervisionRound.id, SupervisionRound.area_id, SupervisionRound.month).where(
                SupervisionRound.id.in_(ids)
            )
        )
    }
    for rid, checked_at, falsified in session.execute(
        select(
            SupervisionSample.round_id,
            SupervisionSample.checked_at,
            SupervisionSample.falsification_found,
        ).where(SupervisionSample.round_id.in_(ids))
    ):
        counts = rounds[rid][2]
        counts["samples"] += 1
        counts["checked"] += checked_at is not None
        counts["falsified"] += bool(falsified)
    by_institution = _count_items(session, ids, rounds)
    names = ("samples", "checked", "falsified", "items_checked", "items_imprecise")
    insert_rows(
        session,
        SupervisionSummary,
        [
            {"round_id": rid, "area_id": a, "month": m, **{n: c[n] for n in names}}
            for rid, (a, m, c) in rounds.items()
        ],
    )
    if by_institution:
        insert_rows(
            session,
            SupervisionInstitutionSummary,
            [
                {
                    "round_id": rid,
                    "institution_id": iid,
                    "month": rounds[rid][1],
                    "items_checked": c["items_checked"],
                    "items_imprecise": c["items_imprecise"],
                }
                for (rid, iid), c in by_institution.items()
            ],
        )


def _count_items(
    session: AnySession, ids: list[int], rounds: dict[int, tuple[int, date, Counter[str]]]
) -> dict[tuple[int, int], Counter[str]]:
    """Count the rounds' checked items into each round's counts (in `rounds`), and return the
    same counts by (round, institution) for the items that name an institution."""
    by_institution: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for rid, institution_id, imprecise in session.execute(
        select(
            SupervisionSample.round_id, SupervisionItem.institution_id, SupervisionItem.imprecise
        )
        .join(SupervisionItem, SupervisionItem.sample_id == SupervisionSample.id)
        .where(SupervisionSample.round_id.in_(ids))
    ):
        for counts in (
            rounds[rid][2],
            *([by_institution[(rid, institution_id)]] if institution_id is not None else []),
        ):
            counts["items_checked"] += 1
            counts["items_imprecise"] += bool(imprecise)
    return by_institution
