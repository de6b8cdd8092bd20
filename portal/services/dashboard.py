"""The staff dashboard's figures: how well an area answers, by area, case type and month.

Every figure counts the cases *received* (``Case.created_at``) in the chosen period, within a
select of cases the caller is allowed to see (start from ``access.cases_for``). In plain words:

- **Answered in time**: of the cases whose first-reply deadline has passed or that have had a
  first reply, the share that had it by the deadline (``first_responded_at`` no later than
  ``first_response_due_at``). A case withdrawn before anyone answered it does not count.
- **Resolved in time**: likewise for resolution: of the cases resolved or past their resolution
  deadline (withdrawn ones left out), the share resolved (``resolved_at``) by ``resolve_due_at``.
- **Median time to first reply**: the middle value, in hours, of the time from receipt to the
  first reply, over the cases that have one.
- **Overdue**: cases still open and not waiting for the resident (new or being handled) whose
  current deadline (``Case.next_due_at``) has passed.
- **Satisfaction**: of the residents' ratings of these cases, the share "satisfied" or
  "basically satisfied", with the number of ratings.

Counts are aggregated in SQL, with the same statements on SQLite and PostgreSQL, grouped by
(area, type, month) and summed up here: months are a CASE over local month bounds worked out
here, and areas the first digits of the area code (a CASE over prefixes if the groups are of
mixed levels). Medians do not add up: PostgreSQL takes them with ``percentile_cont`` over
grouping sets, SQLite hands back the hours of the answered cases. Only the time difference in
hours is written per dialect. 100,000 cases in one county: about 0.5 s (bench/dashboard.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Subquery,
    and_,
    case,
    extract,
    func,
    literal,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import aliased

from portal.models import Area, Case, CaseStatus, CaseType, Rating, Satisfaction
from portal.models.base import AnySession

#: Statuses whose cases can be overdue: open and not paused for the resident.
RUNNING_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS)
SATISFIED_LEVELS = (Satisfaction.SATISFIED, Satisfaction.BASIC)
#: The key of cases in no child area (filed directly at the scope's own level).
OTHER_AREA = ""
GROUPINGS = ("area", "type", "month")


@dataclass(frozen=True)
class Period:
    """Whole months in local time: ``months`` first days, from ``start`` up to ``end``."""

    months: tuple[date, ...]
    zone: ZoneInfo

    @classmethod
    def last_months(cls, today: date, count: int, zone: ZoneInfo) -> Period:
        """The ``count`` months ending with the month of ``today``."""
        index = today.year * 12 + today.month - 1
        firsts = [date((i) // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]
        return cls(tuple(firsts), zone)

    @property
    def start(self) -> datetime:
        return self._bound(self.months[0])

    @property
    def end(self) -> datetime:
        last = self.months[-1]
        following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
        return self._bound(following)

    def bounds(self) -> list[tuple[str, datetime, datetime]]:
        """(``YYYY-MM``, start, end) per month, as aware datetimes."""
        starts = [self._bound(m) for m in self.months] + [self.end]
        return [(m.strftime("%Y-%m"), starts[i], starts[i + 1]) for i, m in enumerate(self.months)]

    def _bound(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.zone)


@dataclass
class Figures:
    """The dashboard's numbers for one group (an area, a case type, a month) or the total."""

    key: str
    received: int = 0
    answer_due: int = 0  # answered, or past the first-reply deadline
    answered_in_time: int = 0
    resolve_due: int = 0  # resolved, or past the resolution deadline
    resolved_in_time: int = 0
    overdue: int = 0
    ratings: int = 0
    satisfied: int = 0  # satisfied or basically satisfied
    median_hours: float | None = None  # to the first reply, over answered cases

    @property
    def answered_rate(self) -> float | None:
        return _share(self.answered_in_time, self.answer_due)

    @property
    def resolved_rate(self) -> float | None:
        return _share(self.resolved_in_time, self.resolve_due)

    @property
    def satisfaction_rate(self) -> float | None:
        return _share(self.satisfied, self.ratings)

    def add(self, other: Figures) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_COUNTS = (
    "received",
    "answer_due",
    "answered_in_time",
    "resolve_due",
    "resolved_in_time",
    "overdue",
    "ratings",
    "satisfied",
)


@dataclass
class Dashboard:
    total: Figures
    by_area: list[Figures] = field(default_factory=list)
    by_type: list[Figures] = field(default_factory=list)
    by_month: list[Figures] = field(default_factory=list)

    def grouping(self, name: str) -> list[Figures]:
        return {"area": self.by_area, "type": self.by_type, "month": self.by_month}[name]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def child_areas(session: AnySession, area: Area | None) -> list[Area]:
    """The groups of "by area": the area's children; a village itself; top-level areas for None."""
    if area is None:
        query = select(Area).where(Area.parent_id.is_(None))
    elif not session.scalar(select(Area.id).where(Area.parent_id == area.id).limit(1)):
        return [area]
    else:
        query = select(Area).where(Area.parent_id == area.id)
    return list(session.scalars(query.order_by(Area.code)))


def compute(
    session: AnySession,
    scoped: Select[Case],
    *,
    period: Period,
    areas: Sequence[Area],
    now: datetime,
    case_type: CaseType | None = None,
    area: Area | None = None,
) -> Dashboard:
    """The figures for the cases of ``scoped`` received in ``period``, grouped three ways.

    ``areas`` are the groups of "by area" (see ``child_areas``); ``area``, one of them, and
    ``case_type`` narrow the cases down further.
    """
    month_key = case(
        *[
            (and_(Case.created_at >= start, Case.created_at < end), literal(key))
            for key, start, end in period.bounds()
        ],
        else_=literal(""),
    )
    prefixes = [a.prefix for a in areas]
    place = aliased(Area)
    query = scoped.join(place, place.id == Case.area_id).where(
        Case.created_at >= period.start, Case.created_at < period.end
    )
    if case_type is not None:
        query = query.where(Case.type == case_type)
    if area is not None:
        query = query.where(place.code.startswith(area.prefix))
    cases = query.with_only_columns(
        Case.id.label("id"),
        _area_key(place.code, prefixes).label("area"),
        type_coerce(Case.type, String).label("type"),
        month_key.label("month"),
        Case.created_at.label("created_at"),
        Case.status.label("status"),
        Case.first_response_due_at.label("first_due"),
        Case.first_responded_at.label("first_at"),
        Case.resolve_due_at.label("resolve_due"),
        Case.resolved_at.label("resolved_at"),
        Case.next_due_at.label("next_due"),
        maintain_column_froms=True,
    ).subquery("scoped_case")

    known = set(prefixes)
    rows: dict[tuple[str, str, str], Figures] = {}
    for (area_key, type_, month), figures in (
        *_counts(session, cases, now),
        *_ratings(session, cases),
    ):
        key = (area_key if area_key in known else OTHER_AREA, type_, month)
        rows.setdefault(key, Figures("|".join(key))).add(figures)

    dashboard = Dashboard(total=_roll_up(rows.values(), "total"))
    dashboard.by_area = _grouped(rows, 0, [a.prefix for a in areas], keep_empty=True)
    dashboard.by_type = _grouped(rows, 1, [t.value for t in CaseType], keep_empty=False)
    dashboard.by_month = _grouped(
        rows, 2, [m.strftime("%Y-%m") for m in period.months], keep_empty=True
    )
    medians = _medians(session, cases, known)
    dashboard.total.median_hours = medians.get(("total", ""))
    for name in GROUPINGS:
        for figures in dashboard.grouping(name):
            figures.median_hours = medians.get((name, figures.key))
    return dashboard


def _area_key(code: Any, prefixes: Sequence[str]) -> ColumnElement[str]:
    """The prefix of the group an area code falls in: its first digits when the groups are
    of one level (the usual case), else the longest matching prefix; Python maps the rest."""
    lengths = {len(p) for p in prefixes}
    if len(lengths) == 1:
        return func.substr(code, 1, lengths.pop())
    whens = [(code.startswith(p), literal(p)) for p in sorted(prefixes, key=len, reverse=True)]
    return case(*whens, else_=literal(OTHER_AREA)) if whens else literal(OTHER_AREA)


def _counts(
    session: AnySession, cases: Subquery, now: datetime
) -> list[tuple[tuple[str, str, str], Figures]]:
    c = cases.c
    live = c.status != CaseStatus.WITHDRAWN
    answer_due = or_(c.first_at.is_not(None), and_(live, c.first_due < now))
    answered_in_time = and_(
        c.first_at.is_not(None), or_(c.first_due.is_(None), c.first_at <= c.first_due)
    )
    resolve_due = or_(c.resolved_at.is_not(None), and_(live, c.resolve_due < now))
    resolved_in_time = and_(
        c.resolved_at.is_not(None), or_(c.resolve_due.is_(None), c.resolved_at <= c.resolve_due)
    )
    overdue = and_(c.status.in_(RUNNING_STATUSES), c.next_due < now)
    query = select(
        c.area,
        c.type,
        c.month,
        func.count(),
        _count_if(answer_due),
        _count_if(answered_in_time),
        _count_if(resolve_due),
        _count_if(resolved_in_time),
        _count_if(overdue),
    ).group_by(c.area, c.type, c.month)
    return [
        ((area_key, type_, month), Figures("", *(int(n) for n in numbers)))
        for area_key, type_, month, *numbers in session.execute(query)
    ]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _ratings(session: AnySession, cases: Subquery) -> list[tuple[tuple[str, str, str], Figures]]:
    """Ratings by group, from the rating side: a case rated twice counts both ratings."""
    c = cases.c
    query = (
        select(
            c.area,
            c.type,
            c.month,
            _count_if(Rating.level.in_(SATISFIED_LEVELS)),
            func.count(Rating.id),
        )
        .join(Rating, Rating.case_id == c.id)
        .group_by(c.area, c.type, c.month)
    )
    return [
        ((area_key, type_, month), Figures("", ratings=int(ratings), satisfied=int(satisfied)))
        for area_key, type_, month, satisfied, ratings in session.execute(query)
    ]


def _grouped(
    rows: dict[tuple[str, str, str], Figures], index: int, order: list[str], *, keep_empty: bool
) -> list[Figures]:
    groups: dict[str, Figures] = {key: Figures(key) for key in order}
    for key, figures in rows.items():
        groups.setdefault(key[index], Figures(key[index])).add(figures)
    return [
        figures
        for figures in groups.values()
        if (keep_empty and figures.key in order) or figures.received or figures.ratings
    ]


def _roll_up(rows: Iterable[Figures], key: str) -> Figures:
    total = Figures(key)
    for figures in rows:
        total.add(figures)
    return total


def _hours(session: AnySession, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in hours: the one expression written per dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return extract("epoch", end - start) / 3600.0


def _medians(session: AnySession, cases: Subquery, known: set[str]) -> dict[tuple[str, str], float]:
    """Median hours to the first reply per (grouping, key), and ("total", "").

    Medians do not add up across groups. PostgreSQL takes them all in one query with
    ``percentile_cont`` over grouping sets; elsewhere (SQLite) the hours of the answered cases
    are fetched, one number per case, and the medians taken here.
    """
    c = cases.c
    hours = _hours(session, c.created_at, c.first_at)
    answered = c.first_at.is_not(None)
    if session.get_bind().dialect.name == "postgresql":
        # Areas outside the groups count together as OTHER_AREA.
        keyed = (
            select(
                case((c.area.in_(known), c.area), else_=literal(OTHER_AREA)).label("area"),
                c.type.label("type"),
                c.month.label("month"),
                hours.label("hours"),
            )
            .where(answered)
            .subquery("answered")
        )
        k = keyed.c
        # grouping() has a bit set for each column a row is not grouped by.
        sets = {0b011: "area", 0b101: "type", 0b110: "month", 0b111: "total"}
        query = select(
            func.grouping(k.area, k.type, k.month),
            k.area,
            k.type,
            k.month,
            func.percentile_cont(0.5).within_group(k.hours),
        ).group_by(func.grouping_sets(tuple_(k.area), tuple_(k.type), tuple_(k.month), tuple_()))
        result: dict[tuple[str, str], float] = {}
        for bits, area_key, type_, month, value in session.execute(query):
            name = sets[bits]
            key = {"area": area_key, "type": type_, "month": month, "total": ""}[name]
            if value is not None:
                result[(name, key)] = round(float(value), 2)
        return result
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    for area_key, type_, month, value in session.execute(
        select(c.area, c.type, c.month, hours).where(answered)
    ):
        value = float(value)
        samples[("total", "")].append(value)
        samples[("area", _known(area_key, known))].append(value)
        samples[("type", type_)].append(value)
        samples[("month", month)].append(value)
    return {key: round(median(values), 2) for key, values in samples.items()}


def _known(area_key: str, known: set[str]) -> str:
    return area_key if area_key in known else OTHER_AREA
