"""Coverage (覆盖率): how many of the residents a service is for received it, against its target;
how many needs were answered with a delivery (target 95%); and what residents said of services.

Figures are year to date: from 1 January to the end of the period (a year, or a quarter for the
quarterly report), over the residents of one area's subtree, grouped by its child areas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Select, or_, select

from portal.models import (
    Area,
    CoverageTarget,
    Delivery,
    NeedsAnswer,
    NeedsRecord,
    Plan,
    PlanItem,
    Rating,
    Resident,
    Satisfaction,
)
from portal.models.base import AnySession
from portal.services.access import residents_in_area
from portal.services.dashboard import child_areas

#: "95% of needs must correspond to a delivery" (domain.md).
CORRESPONDENCE_TARGET = Decimal(95)
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Period:
    start: date  # always 1 January
    end: date
    quarter: int | None = None  # None: the whole year

    @classmethod
    def of_year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def of_quarter(cls, year: int, quarter: int) -> Period:
        after = date(year + 1, 1, 1) if quarter == 4 else date(year, quarter * 3 + 1, 1)
        return cls(date(year, 1, 1), after - timedelta(days=1), quarter)

    @classmethod
    def parse_quarter(cls, text: str) -> Period | None:
        """ "2026Q4" → the year to the end of its fourth quarter; None when not that shape."""
        match = _QUARTER.match(text.strip().upper())
        return cls.of_quarter(int(match[1]), int(match[2])) if match else None

    @classmethod
    def quarter_of(cls, day: date) -> Period:
        return cls.of_quarter(day.year, (day.month - 1) // 3 + 1)

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.quarter}" if self.quarter else str(self.year)


@dataclass
class Share:
    part: int = 0
    whole: int = 0

    @property
    def rate(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass
class Ratings:
    counts: dict[Satisfaction, int] = field(default_factory=lambda: dict.fromkeys(Satisfaction, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def satisfied(self) -> Share:
        """Satisfied or basically satisfied, of all ratings."""
        part = self.counts[Satisfaction.SATISFIED] + self.counts[Satisfaction.BASIC]
        return Share(part, self.total)


@dataclass(frozen=True)
class TargetCoverage:
    target: CoverageTarget
    total: Share
    by_area: list[tuple[Area, Share]]

    @property
    def met(self) -> bool | None:
        rate = self.total.rate
        return None if rate is None else rate * 100 >= self.target.target_percent


@dataclass(frozen=True)
class Coverage:
    period: Period
    targets: list[TargetCoverage]
    correspondence: tuple[Share, list[tuple[Area, Share]]]
    satisfaction: tuple[Ratings, list[tuple[Area, Ratings]]]


@dataclass(frozen=True)
class _Person:
    id: int
    area_code: str
    category: int
    level: int | None
    birth_date: date | None


def compute(session: AnySession, scope: Area | None, period: Period) -> Coverage:
    """Every figure for the residents in `scope` (None: everywhere), by its child areas."""
    people = _people(session, scope, period)
    areas = child_areas(session, scope)
    in_scope = _scope_ids(session, scope)
    delivered = {
        (rid, item)
        for rid, item in session.execute(
            select(Plan.resident_id, PlanItem.need_item_id)
            .join(PlanItem, PlanItem.plan_id == Plan.id)
            .join(Delivery, Delivery.plan_item_id == PlanItem.id)
            .where(
                Delivery.delivered_on.between(period.start, period.end),
                Plan.resident_id.in_(in_scope),
            )
        )
    }
    targets = [
        _target(target, people, delivered, areas, period)
        for target in session.scalars(
            select(CoverageTarget).where(CoverageTarget.active).order_by(CoverageTarget.id)
        )
    ]
    return Coverage(
        period=period,
        targets=targets,
        correspondence=_correspondence(session, in_scope, people, delivered, areas, period),
        satisfaction=_satisfaction(session, in_scope, people, areas, period),
    )


def _scope_ids(session: AnySession, scope: Area | None) -> Select[tuple[int]]:
    if scope is None:
        return select(Resident.id)
    return residents_in_area(session, scope).with_only_columns(Resident.id)


def _people(session: AnySession, scope: Area | None, period: Period) -> dict[int, _Person]:
    """The residents living at the end of the period, with what eligibility looks at."""
    query = (
        select(
            Resident.id,
            Area.code,
            Resident.disability_category,
            Resident.disability_level,
            Resident.birth_date,
        )
        .join(Area, Resident.area_id == Area.id)
        .where(
            Resident.id.in_(_scope_ids(session, scope)),
            or_(Resident.deceased_on.is_(None), Resident.deceased_on > period.end),
        )
    )
    return {row[0]: _Person(*row) for row in session.execute(query)}


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def eligible(target: CoverageTarget, person: _Person, day: date) -> bool:
    """Whether the target counts the person: category, level and age on `day` all match."""
    if target.categories and person.category not in target.categories:
        return False
    if target.levels and person.level not in target.levels:
        return False
    if target.min_age is None and target.max_age is None:
        return True
    if person.birth_date is None:
        return False
    age = age_on(person.birth_date, day)
    low_ok = target.min_age is None or age >= target.min_age
    return low_ok and (target.max_age is None or age <= target.max_age)


def _grouped(
    areas: list[Area], counted: Iterable[tuple[str, bool]]
) -> tuple[Share, list[tuple[Area, Share]]]:
    """(area code, counts as part) pairs → the total share and one share per child area."""
    total = Share()
    shares = {area.id: Share() for area in areas}
    for code, is_part in counted:
        total.whole += 1
        total.part += is_part
        area = next((a for a in areas if code.startswith(a.prefix)), None)
        if area is not None:
            shares[area.id].whole += 1
            shares[area.id].part += is_part
    return total, [(area, shares[area.id]) for area in areas]


def _target(
    target: CoverageTarget,
    people: dict[int, _Person],
    delivered: set[tuple[int, int]],
    areas: list[Area],
    period: Period,
) -> TargetCoverage:
    counted = (
        (p.area_code, (p.id, target.need_item_id) in delivered)
        for p in people.values()
        if eligible(target, p, period.end)
    )
    total, by_area = _grouped(areas, counted)
    return TargetCoverage(target, total, by_area)


def _correspondence(
    session: AnySession,
    in_scope: Select[tuple[int]],
    people: dict[int, _Person],
    delivered: set[tuple[int, int]],
    areas: list[Area],
    period: Period,
) -> tuple[Share, list[tuple[Area, Share]]]:
    """Needs stated in the year's needs form, and how many had a delivery of that item."""
    needs = session.execute(
        select(NeedsRecord.resident_id, NeedsAnswer.need_item_id)
        .join(NeedsAnswer, NeedsAnswer.record_id == NeedsRecord.id)
        .where(
            NeedsRecord.year == period.year,
            NeedsAnswer.needed,
            NeedsRecord.resident_id.in_(in_scope),
        )
    )
    counted = (
        (people[rid].area_code, (rid, item) in delivered) for rid, item in needs if rid in people
    )
    return _grouped(areas, counted)


def _satisfaction(
    session: AnySession,
    in_scope: Select[tuple[int]],
    people: dict[int, _Person],
    areas: list[Area],
    period: Period,
) -> tuple[Ratings, list[tuple[Area, Ratings]]]:
    """Residents' ratings of deliveries and plans given in the period, by level."""
    start = datetime.combine(period.start, time(), tzinfo=UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(), tzinfo=UTC)
    rows = session.execute(
        select(Rating.resident_id, Rating.level).where(
            Rating.created_at >= start,
            Rating.created_at < end,
            or_(Rating.delivery_id.is_not(None), Rating.plan_id.is_not(None)),
            Rating.resident_id.in_(in_scope),
        )
    )
    total = Ratings()
    by_area = {area.id: Ratings() for area in areas}
    for rid, level in rows:
        total.counts[level] += 1
        person = people.get(rid)
        area = next((a for a in areas if person and person.area_code.startswith(a.prefix)), None)
        if area is not None:
            by_area[area.id].counts[level] += 1
    return total, [(area, by_area[area.id]) for area in areas]
