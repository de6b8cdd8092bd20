"""Working out the coverage pages' summary rows for a batch of areas (see `summaries`).

For each quarter's end of a year, per area and coverage target: the residents living then whom
the target counts (`eligibility.eligible`, on that day) and how many of them had a delivery of its
service since 1 January; per area: needs stated in the year's form and answered by then, and
residents' ratings of plans and deliveries by then, by level. Work proportional to the batch.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import delete, func, or_, select

from portal.models import (
    CoverageSummary,
    CoverageTarget,
    Delivery,
    DisabilityCategory,
    NeedsAnswer,
    NeedsRecord,
    Plan,
    PlanItem,
    Rating,
    Resident,
    Satisfaction,
    ServiceSummary,
)
from portal.models.base import AnySession
from portal.services.reporting.eligibility import eligible
from portal.services.reporting.summary_build import insert_rows

QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


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
        targets = by_category.get(person.category) or by_category[0]
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
    insert_rows(
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
    found = {
        category: [t for t in targets if not t.categories or category in t.categories]
        for category in categories
    }
    found[0] = [t for t in targets if not t.categories]  # any other category
    return found


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
        day = created.astimezone(UTC).date()
        for end in ends:
            if day <= end:
                rows[(people[rid].area_id, end)][level_names[level]] += 1
    names = ("needs", "answered", "satisfied", "basic", "dissatisfied")
    insert_rows(
        session,
        ServiceSummary,
        [
            {"area_id": a, "period_end": e, **{n: counts[n] for n in names}}
            for (a, e), counts in rows.items()
        ],
    )
