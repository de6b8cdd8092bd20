"""China's official working-day calendar, as plain data.

Deadlines counted in working days (工作日) follow the State Council's yearly notice: public
holidays are days off even on a weekday, and make-up working days (调休) are working days even
on a weekend. The notice is published once a year (every December), so the calendar is data
stored in the database and editable by an administrator, not code. This module holds no
database access: the loader builds a `WorkCalendar` from rows, and `from_chinese_calendar`
produces the rows used to seed the database for the years the `chinese-calendar` package knows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

logger = logging.getLogger(__name__)

#: Suffix added to a holiday's name for the weekend day worked in exchange (调休上班).
MAKEUP_SUFFIX = "调休"


@dataclass(frozen=True)
class CalendarEntry:
    """One day that deviates from the Monday-to-Friday rule (a DB row's plain shape)."""

    day: date
    is_working_day: bool
    name: str


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days, for the years whose official calendar is loaded.

    `holidays` may contain holidays on any day (weekend days inside a holiday period are
    harmless); `makeup_workdays` are weekend days declared working days. A year missing from
    `known_years` falls back to plain Monday-to-Friday, and callers say so to the user.
    """

    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()

    @classmethod
    def from_entries(
        cls, entries: Iterable[CalendarEntry], known_years: Iterable[int]
    ) -> WorkCalendar:
        """Build a calendar from deviation entries (e.g. database rows mapped to entries)."""
        holidays: set[date] = set()
        makeup: set[date] = set()
        for entry in entries:
            (makeup if entry.is_working_day else holidays).add(entry.day)
        return cls(
            holidays=frozenset(holidays),
            makeup_workdays=frozenset(makeup),
            known_years=frozenset(known_years),
        )

    def is_working_day(self, d: date) -> bool:
        """True on a make-up working day, False on a holiday, otherwise Monday to Friday."""
        if d in self.makeup_workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def is_known(self, d: date) -> bool:
        """True when the official calendar for `d`'s year is loaded."""
        return d.year in self.known_years


def _year_is_covered(year: int) -> bool:
    """Ask the package whether it has data for `year`, without letting it crash us.

    Releases raise NotImplementedError outside their range (e.g. 2027 in 1.11.0). A year
    inside the range but with no holiday at all would be a data gap, not a real year (every
    year has Spring Festival on weekdays), so it is treated as unknown too.
    """
    try:
        chinese_calendar.get_holiday_detail(date(year, 1, 1))
    except NotImplementedError:
        return False
    return any(d.year == year for d in chinese_calendar.holidays)


def _entries_for_year(year: int) -> list[CalendarEntry]:
    entries: list[CalendarEntry] = []
    day = date(year, 1, 1)
    while day.year == year:
        is_day_off, english_name = chinese_calendar.get_holiday_detail(day)
        is_weekday = day.weekday() < 5
        if is_day_off == is_weekday:  # a day off on a weekday, or a working weekend day
            name = _chinese_name(english_name)
            if not is_day_off:
                name = f"{name}{MAKEUP_SUFFIX}"
            entries.append(CalendarEntry(day=day, is_working_day=not is_day_off, name=name))
        day += timedelta(days=1)
    return entries


def _chinese_name(english_name: str | None) -> str:
    """The package stores English names; residents and staff read Chinese ones."""
    if english_name is None:
        return ""
    try:
        return str(chinese_calendar.Holiday(english_name).chinese)
    except ValueError:
        return english_name


def from_chinese_calendar(years: Iterable[int]) -> tuple[list[CalendarEntry], set[int]]:
    """Read the `chinese-calendar` package for `years`, to seed the database.

    Returns the days that deviate from Monday-to-Friday (holidays on weekdays, make-up
    working days on weekends), sorted by day, and the subset of `years` the package actually
    has data for. Years without data are skipped silently (logged), never raised.
    """
    entries: list[CalendarEntry] = []
    covered: set[int] = set()
    for year in sorted(set(years)):
        if not _year_is_covered(year):
            logger.info("chinese-calendar has no data for year %s", year, extra={"year": year})
            continue
        entries.extend(_entries_for_year(year))
        covered.add(year)
    return entries, covered
