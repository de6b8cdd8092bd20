"""The staff dashboard's figures: how well an area answers, by area, case type and month.

Every figure counts the cases *received* (``Case.created_at``) in the chosen period, in the
user's area subtree. In plain words:

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

The figures are sums over summary rows (``case_summary``: per area, local month and type,
counted by ``services.summary_build``), as at the summaries' "as of" time
(``services.summaries``). Each area also has rows for its whole subtree, so a group of "by
area" reads its own subtree rows and the total reads the scope's: a page costs the same at 1 M
cases as at 1 k. Medians do not add up, so reply times are kept as counts per rounded duration
(``reply_time_summary``, with the same subtree rows) and the middle value is taken here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select

from portal.models import (
    Area,
    CaseSummary,
    CaseType,
    ReplyTimeSummary,
    ReplyTimeTotalSummary,
)
from portal.models.base import AnySession
from portal.services.reference.area_tree import in_subtree
from portal.services.reporting import summaries  # noqa: F401 - registers the change marks

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
    scope_id: int | None,
    *,
    period: Period,
    areas: Sequence[Area],
    case_type: CaseType | None = None,
    area: Area | None = None,
) -> Dashboard:
    """The figures for the cases received in ``period`` in the subtree of ``scope_id`` (None:
    everywhere), grouped three ways, read from the summaries.

    ``areas`` are the groups of "by area" (see ``child_areas``); ``area``, one of them, and
    ``case_type`` narrow the cases down further. Seven queries, each over one summary row per
    group, month and type (the groups' subtree rows), whatever the data.
    """
    s = CaseSummary
    group_of = _groups(scope_id, areas, area)
    base = [a.id for a in areas] if scope_id is None else [scope_id]
    base = [area.id] if area is not None else base
    sums = [func.coalesce(func.sum(getattr(s, n)), 0) for n in _COUNTS]
    rows: dict[str, list[Figures]] = {"area": [], "type": [], "month": []}
    for area_id, subtree, *numbers in session.execute(
        select(s.area_id, s.subtree, *sums)
        .where(*_where(s, period, case_type), _in_groups(s, group_of))
        .group_by(s.area_id, s.subtree)
    ):
        key = group_of[(area_id, subtree)]
        rows["area"].append(Figures(key, *(int(n) for n in numbers)))
    for name, column in (("type", s.type), ("month", s.month)):
        query = select(column, *sums).where(*_where(s, period, case_type), _subtrees(s, base))
        rows[name] = [
            Figures(_key(name, k), *(int(n) for n in numbers))
            for k, *numbers in session.execute(query.group_by(column))
        ]
    dashboard = Dashboard(total=_roll_up(rows["month"], "total"))
    dashboard.by_area = _ordered(rows["area"], [a.prefix for a in areas], keep_empty=True)
    dashboard.by_type = _ordered(rows["type"], [t.value for t in CaseType], keep_empty=False)
    dashboard.by_month = _ordered(
        rows["month"], [m.strftime("%Y-%m") for m in period.months], keep_empty=True
    )
    _medians(session, dashboard, period, case_type, group_of, base)
    return dashboard


def _groups(
    scope_id: int | None, areas: Sequence[Area], area: Area | None
) -> dict[tuple[int, bool], str]:
    """(area id, subtree) of the summary rows each "by area" group reads → the group's key:
    each group's subtree rows, and the cases filed at the scope itself as OTHER_AREA."""
    chosen = [area] if area is not None else areas
    groups = {(a.id, True): a.prefix for a in chosen}
    if area is None and scope_id is not None and all(a.id != scope_id for a in areas):
        groups[(scope_id, False)] = OTHER_AREA
    return groups


def _in_groups(model: Any, groups: dict[tuple[int, bool], str]) -> ColumnElement[bool]:
    subtrees = [a for a, subtree in groups if subtree]
    own = [a for a, subtree in groups if not subtree]
    found = [_subtrees(model, subtrees)]
    if own:
        found.append(and_(model.subtree.is_(False), model.area_id.in_(own)))
    return or_(*found)


def _subtrees(model: Any, area_ids: list[int]) -> ColumnElement[bool]:
    return and_(model.subtree.is_(True), model.area_id.in_(area_ids))


def _where(model: Any, period: Period, case_type: CaseType | None) -> list[ColumnElement[bool]]:
    where = [model.month >= period.months[0], model.month <= period.months[-1]]
    if case_type is not None:  # never asked of the rows over every type
        where.append(model.type == case_type)
    return where


def _medians(
    session: AnySession,
    dashboard: Dashboard,
    period: Period,
    case_type: CaseType | None,
    group_of: dict[tuple[int, bool], str],
    base: list[int],
) -> None:
    """Median hours to the first reply of every group and the total, from the reply counts:
    those over every type unless a type is chosen or the grouping is by type."""
    typed = ReplyTimeSummary
    r: Any = typed if case_type is not None else ReplyTimeTotalSummary
    found: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    by_area = (
        select(r.area_id, r.subtree, r.tenths, func.sum(r.cases))
        .where(*_where(r, period, case_type), _in_groups(r, group_of))
        .group_by(r.area_id, r.subtree, r.tenths)
    )
    for area_id, subtree, tenths, cases in session.execute(by_area):
        found[("area", group_of[(area_id, subtree)])].append((tenths, int(cases)))
    for name, model, column in (("type", typed, typed.type), ("month", r, r.month)):
        query = (
            select(column, model.tenths, func.sum(model.cases))
            .where(*_where(model, period, case_type), _subtrees(model, base))
            .group_by(column, model.tenths)
        )
        for key, tenths, cases in session.execute(query):
            found[(name, _key(name, key))].append((tenths, int(cases)))
    total = (
        select(r.tenths, func.sum(r.cases))
        .where(*_where(r, period, case_type), _subtrees(r, base))
        .group_by(r.tenths)
    )
    dashboard.total.median_hours = median_of([(t, int(n)) for t, n in session.execute(total)])
    for name in GROUPINGS:
        for figures in dashboard.grouping(name):
            figures.median_hours = median_of(found.get((name, figures.key), []))


def _key(grouping: str, value: Any) -> str:
    if grouping == "month":
        return value.strftime("%Y-%m")  # type: ignore[no-any-return]
    return str(value.value if isinstance(value, CaseType) else value)


def area_key(session: AnySession, column: Any, areas: Sequence[Area]) -> ColumnElement[str]:
    """The prefix of the group an area id falls in (from the area tree), else OTHER_AREA."""
    # One array parameter per group on PostgreSQL (in_subtree): an administrator's three
    # cities were ~5,900 placeholders, whose binding took ten times the query's own time.
    whens = [(in_subtree(session, column, a.id), literal(a.prefix)) for a in areas]
    return case(*whens, else_=literal(OTHER_AREA)) if whens else literal(OTHER_AREA)


def _ordered(found: list[Figures], order: list[str], *, keep_empty: bool) -> list[Figures]:
    groups: dict[str, Figures] = {key: Figures(key) for key in order}
    for figures in found:
        groups.setdefault(figures.key, Figures(figures.key)).add(figures)
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


def median_of(counts: list[tuple[int, int]]) -> float | None:
    """The median in hours of durations given as (tenths of an hour, how many)."""
    total = sum(n for _t, n in counts)
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]  # the middle one, or the middle two
    found: list[int] = []
    seen = 0
    for tenths, n in sorted(counts):
        while wanted and wanted[0] < seen + n:
            found.append(tenths)
            wanted.pop(0)
        seen += n
    return round(sum(found) / len(found) / 10, 2)
