"""Coverage (覆盖率): how many of the residents a service is for received it, against its target;
how many needs were answered with a delivery (target 95%); and what residents said of services.

Figures are year to date: from 1 January to the end of the period (a year, or a quarter for the
quarterly report), over the residents of one area's subtree, grouped by its child areas.

They are sums over the summary rows (``coverage_summary``, ``service_summary``: one per area
and quarter's end, counted by ``services.summary_build`` with ``eligibility.eligible``) of the areas
in scope, as at the summaries' "as of" time: three queries, whatever the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.models import Area, CoverageSummary, CoverageTarget, Satisfaction, ServiceSummary
from portal.models.base import AnySession
from portal.services.reference.area_tree import in_subtree
from portal.services.reporting.dashboard import area_key, child_areas

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


def compute(session: AnySession, scope: Area | None, period: Period) -> Coverage:
    """Every figure for the residents in `scope` (None: everywhere), by its child areas."""
    areas = child_areas(session, scope)
    c, s = CoverageSummary, ServiceSummary
    c_key, s_key = area_key(session, c.area_id, areas), area_key(session, s.area_id, areas)
    c_where = [c.period_end == period.end]
    s_where = [s.period_end == period.end]
    if scope is not None:
        c_where.append(in_subtree(session, c.area_id, scope.id))
        s_where.append(in_subtree(session, s.area_id, scope.id))
    shares: dict[tuple[int, str], Share] = {}
    for key, target_id, eligible_, covered in session.execute(
        select(c_key, c.target_id, func.sum(c.eligible), func.sum(c.covered))
        .where(*c_where)
        .group_by(c_key, c.target_id)
    ):
        shares[(target_id, key)] = Share(int(covered), int(eligible_))
    targets = [
        _target(target, shares, areas)
        for target in session.scalars(
            select(CoverageTarget).where(CoverageTarget.active).order_by(CoverageTarget.id)
        )
    ]
    needs: dict[str, Share] = {}
    ratings: dict[str, Ratings] = {}
    query = (
        select(
            s_key,
            func.sum(s.needs),
            func.sum(s.answered),
            func.sum(s.satisfied),
            func.sum(s.basic),
            func.sum(s.dissatisfied),
        )
        .where(*s_where)
        .group_by(s_key)
    )
    for key, needed, answered, satisfied, basic, dissatisfied in session.execute(query):
        needs[key] = Share(int(answered), int(needed))
        ratings[key] = Ratings(
            {
                Satisfaction.SATISFIED: int(satisfied),
                Satisfaction.BASIC: int(basic),
                Satisfaction.DISSATISFIED: int(dissatisfied),
            }
        )
    total_needs, total_ratings = Share(), Ratings()
    for share in needs.values():
        total_needs.part += share.part
        total_needs.whole += share.whole
    for found in ratings.values():
        for level, count in found.counts.items():
            total_ratings.counts[level] += count
    return Coverage(
        period=period,
        targets=targets,
        correspondence=(total_needs, [(a, needs.get(a.prefix, Share())) for a in areas]),
        satisfaction=(total_ratings, [(a, ratings.get(a.prefix, Ratings())) for a in areas]),
    )


def _target(
    target: CoverageTarget, shares: dict[tuple[int, str], Share], areas: list[Area]
) -> TargetCoverage:
    total = Share()
    for (target_id, _key), share in shares.items():
        if target_id == target.id:
            total.part += share.part
            total.whole += share.whole
    by_area = [(a, shares.get((target.id, a.prefix), Share())) for a in areas]
    return TargetCoverage(target, total, by_area)
