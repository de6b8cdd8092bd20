"""Working out summary rows from the raw tables, for a batch of areas (see `summaries`).

Each function deletes the rows of the areas (or rounds) it is given and writes them again from
the raw rows of those areas only, so the work is proportional to the areas refreshed, never to
the whole database. Counting happens here in Python over the batch's rows, the same on SQLite
and PostgreSQL; the definitions are those of `services.dashboard` and `services.coverage`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, literal, or_, select, union_all

from portal.models import (
    Area,
    Case,
    CaseStatus,
    CaseSummary,
    CoverageSummary,
    CoverageTarget,
    Delivery,
    DisabilityCategory,
    NeedsAnswer,
    NeedsRecord,
    Plan,
    PlanItem,
    Rating,
    ReplyTimeSummary,
    Resident,
    Satisfaction,
    ServiceSummary,
    SupervisionInstitutionSummary,
    SupervisionItem,
    SupervisionRound,
    SupervisionSample,
    SupervisionSummary,
)
from portal.models.base import AnySession

RUNNING = (CaseStatus.NEW, CaseStatus.IN_PROGRESS)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASIC)
QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


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


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _month(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date().replace(day=1)


def build_cases(
    session: AnySession, area_ids: Collection[int], now: datetime, zone: ZoneInfo
) -> None:
    """The dashboard's rows of the cases filed at `area_ids`, every month, as at `now` (then
    `roll_up` the areas and those above them)."""
    ids = sorted(area_ids)
    for model in (CaseSummary, ReplyTimeSummary):
        session.execute(
            delete(model).where(model.area_id.in_(ids), model.subtree.is_(False))  # type: ignore[attr-defined]
        )
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
        c.overdue += status in RUNNING and next_due is not None and next_due < now
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
        c.satisfied += level in SATISFIED
    _write_cases(session, groups)


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
    _insert(session, CaseSummary, rows)
    replies = [
        {"area_id": a, "subtree": False, "month": m, "type": t, "tenths": tenths, "cases": cases}
        for (a, m, t), c in groups.items()
        for tenths, cases in c.tenths.items()
    ]
    _insert(session, ReplyTimeSummary, replies)


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


def roll_up(session: AnySession, parents: dict[int, int | None], area_ids: Iterable[int]) -> None:
    """The subtree rows of `area_ids` and of every area above them, deepest first: an area's
    own rows plus its children's subtree rows, so each area costs the rows of its children.

    `parents` maps every area to its parent (the area tree)."""
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
            _roll_up(session, CaseSummary, chunk, (), COUNT_COLUMNS)
            _roll_up(session, ReplyTimeSummary, chunk, ("tenths",), ("cases",))


def _roll_up(
    session: AnySession, model: Any, ids: list[int], keys: tuple[str, ...], sums: tuple[str, ...]
) -> None:
    session.execute(delete(model).where(model.area_id.in_(ids), model.subtree.is_(True)))
    key_names = ("month", "type", *keys)
    own = select(
        model.area_id.label("area_id"), *(getattr(model, n) for n in (*key_names, *sums))
    ).where(model.subtree.is_(False), model.area_id.in_(ids))
    below = (
        select(Area.parent_id.label("area_id"), *(getattr(model, n) for n in (*key_names, *sums)))
        .join(Area, Area.id == model.area_id)
        .where(model.subtree.is_(True), Area.parent_id.in_(ids))
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


def quarter_ends(year: int) -> list[date]:
    return [date(year, month, day) for month, day in QUARTER_ENDS]


@dataclass(frozen=True)
class _Person:
    area_id: int
    category: int
    level: int | None
    birth_date: date | None
    deceased_on: date | None

    def living_on(self, day: date) -> bool:
        return self.deceased_on is None or self.deceased_on > day


def build_coverage(session: AnySession, area_ids: Collection[int], year: int) -> None:
    """Coverage and service rows of `area_ids` for `year`, as at each quarter's end."""
    from portal.services.coverage import eligible

    ids = sorted(area_ids)
    ends = quarter_ends(year)
    for model in (CoverageSummary, ServiceSummary):
        session.execute(
            delete(model).where(model.area_id.in_(ids), model.period_end.in_(ends))  # type: ignore[attr-defined]
        )
    people = {
        row[0]: _Person(*row[1:])
        for row in session.execute(
            select(
                Resident.id,
                Resident.area_id,
                Resident.disability_category,
                Resident.disability_level,
                Resident.birth_date,
                Resident.deceased_on,
            ).where(Resident.area_id.in_(ids))
        )
    }
    in_batch = select(Resident.id).where(Resident.area_id.in_(ids))
    first = _first_deliveries(session, in_batch, year)
    by_category = _targets_by_category(session)
    coverage: dict[tuple[int, date, int], list[int]] = defaultdict(lambda: [0, 0])
    for rid, person in people.items():
        targets = by_category.get(person.category, ())
        if not targets:
            continue
        for end in ends:
            if not person.living_on(end):
                continue
            for target in targets:
                if eligible(target, person, end):
                    counts = coverage[(person.area_id, end, target.id)]
                    counts[0] += 1
                    delivered = first.get((rid, target.need_item_id))
                    counts[1] += delivered is not None and delivered <= end
    _insert(
        session,
        CoverageSummary,
        [
            {"area_id": a, "period_end": e, "target_id": t, "eligible": n, "covered": c}
            for (a, e, t), (n, c) in coverage.items()
        ],
    )
    _build_services(session, people, in_batch, first, year)


@dataclass(frozen=True)
class _Target:
    """A coverage target's rule as plain values (read once per batch, checked per resident)."""

    id: int
    need_item_id: int
    categories: frozenset[int]
    levels: frozenset[int]
    min_age: int | None
    max_age: int | None


def _targets_by_category(session: AnySession) -> dict[int, list[_Target]]:
    """Active targets by the disability category they can count (every category for a target
    that names none), so each resident is checked against their own category's targets only."""
    targets = [
        _Target(
            t.id, t.need_item_id, frozenset(t.categories), frozenset(t.levels), t.min_age, t.max_age
        )
        for t in session.scalars(select(CoverageTarget).where(CoverageTarget.active))
    ]
    categories = {c for t in targets for c in t.categories} | set(DisabilityCategory)
    return {
        category: [t for t in targets if not t.categories or category in t.categories]
        for category in categories
    }


def _insert(session: AnySession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Many rows in one executemany, through the table (the ORM's bulk path costs seconds)."""
    if rows:
        session.execute(insert(model.__table__), rows)


def _first_deliveries(
    session: AnySession, residents: object, year: int
) -> dict[tuple[int, int], date]:
    """The first delivery date in `year` of each (resident, need item)."""
    rows = session.execute(
        select(Plan.resident_id, PlanItem.need_item_id, func.min(Delivery.delivered_on))
        .join(PlanItem, PlanItem.plan_id == Plan.id)
        .join(Delivery, Delivery.plan_item_id == PlanItem.id)
        .where(
            Delivery.delivered_on.between(date(year, 1, 1), date(year, 12, 31)),
            Plan.resident_id.in_(residents),  # type: ignore[arg-type]
        )
        .group_by(Plan.resident_id, PlanItem.need_item_id)
    )
    return {(rid, item): day for rid, item, day in rows}


def _build_services(
    session: AnySession,
    people: dict[int, _Person],
    residents: object,
    first: dict[tuple[int, int], date],
    year: int,
) -> None:
    ends = quarter_ends(year)
    rows: dict[tuple[int, date], Counter[str]] = defaultdict(Counter)
    needs = session.execute(
        select(NeedsRecord.resident_id, NeedsAnswer.need_item_id)
        .join(NeedsAnswer, NeedsAnswer.record_id == NeedsRecord.id)
        .where(
            NeedsRecord.year == year,
            NeedsAnswer.needed,
            NeedsRecord.resident_id.in_(residents),  # type: ignore[arg-type]
        )
    )
    for rid, item in needs:
        person = people[rid]
        delivered = first.get((rid, item))
        for end in ends:
            if person.living_on(end):
                rows[(person.area_id, end)]["needs"] += 1
                rows[(person.area_id, end)]["answered"] += (
                    delivered is not None and delivered <= end
                )
    start = datetime.combine(date(year, 1, 1), time(), tzinfo=UTC)
    ratings = session.execute(
        select(Rating.resident_id, Rating.level, Rating.created_at).where(
            Rating.created_at >= start,
            Rating.created_at < start.replace(year=year + 1),
            or_(Rating.delivery_id.is_not(None), Rating.plan_id.is_not(None)),
            Rating.resident_id.in_(residents),  # type: ignore[arg-type]
        )
    )
    level_names = {
        Satisfaction.SATISFIED: "satisfied",
        Satisfaction.BASIC: "basic",
        Satisfaction.DISSATISFIED: "dissatisfied",
    }
    for rid, level, created in ratings:
        day = _aware(created).date()  # type: ignore[union-attr]
        for end in ends:
            if day <= end:
                rows[(people[rid].area_id, end)][level_names[level]] += 1
    names = ("needs", "answered", "satisfied", "basic", "dissatisfied")
    _insert(
        session,
        ServiceSummary,
        [
            {"area_id": a, "period_end": e, **{n: counts[n] for n in names}}
            for (a, e), counts in rows.items()
        ],
    )


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
    names = ("samples", "checked", "falsified", "items_checked", "items_imprecise")
    _insert(
        session,
        SupervisionSummary,
        [
            {"round_id": rid, "area_id": a, "month": m, **{n: c[n] for n in names}}
            for rid, (a, m, c) in rounds.items()
        ],
    )
    if by_institution:
        _insert(
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


def years_of(today: date, span: int) -> list[int]:
    """The coverage years a refresh keeps: this one and the `span` before."""
    return list(range(today.year - span, today.year + 1))
