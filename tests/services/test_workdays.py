"""WorkCalendar and seeding from the chinese-calendar package (no database, no app)."""

from dataclasses import FrozenInstanceError
from datetime import date, timedelta

import chinese_calendar
import pytest

from portal.services.sla.workdays import CalendarEntry, WorkCalendar, from_chinese_calendar

ENTRIES, KNOWN = from_chinese_calendar([2025, 2026])
CALENDAR = WorkCalendar.from_entries(ENTRIES, KNOWN)
BY_DAY = {entry.day: entry for entry in ENTRIES}


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_known_years_are_those_the_package_has_data_for():
    # chinese-calendar 1.11.0 covers 2004-2026 and raises NotImplementedError from 2027 on.
    entries, years = from_chinese_calendar([2026, 2027, 2030, 2025, 2025])
    assert years == {2025, 2026}
    assert {entry.day.year for entry in entries} == {2025, 2026}


@pytest.mark.parametrize("years", [[], [2027], [2030, 1999]])
def test_years_without_data_are_absent_not_errors(years):
    assert from_chinese_calendar(years) == ([], set())


@pytest.mark.parametrize(
    ("day", "is_working_day", "name"),
    [
        (date(2025, 1, 1), False, "元旦"),
        (date(2025, 1, 26), True, "春节调休"),  # Sunday worked before Spring Festival
        (date(2025, 2, 4), False, "春节"),
        (date(2025, 9, 28), True, "国庆节调休"),  # Sunday
        (date(2025, 10, 1), False, "国庆节"),
        (date(2025, 10, 6), False, "中秋"),  # Mid-Autumn inside the National Day break
        (date(2025, 10, 8), False, "国庆节"),
        (date(2025, 10, 11), True, "国庆节调休"),  # Saturday
        (date(2026, 1, 4), True, "元旦调休"),  # Sunday
        (date(2026, 2, 14), True, "春节调休"),  # Saturday
        (date(2026, 2, 23), False, "春节"),  # Monday
        (date(2026, 2, 28), True, "春节调休"),  # Saturday
    ],
)
def test_deviating_days_are_listed(day, is_working_day, name):
    assert BY_DAY[day] == CalendarEntry(day=day, is_working_day=is_working_day, name=name)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 10, 4),  # Saturday inside the holiday: already a day off
        date(2025, 9, 27),  # ordinary Saturday
        date(2025, 9, 29),  # ordinary Monday
        date(2026, 2, 21),  # Saturday inside Spring Festival
    ],
)
def test_days_following_the_weekday_rule_are_not_listed(day):
    assert day not in BY_DAY


def test_every_entry_deviates_and_entries_are_sorted_and_unique():
    assert all(entry.is_working_day == (entry.day.weekday() >= 5) for entry in ENTRIES)
    days = [entry.day for entry in ENTRIES]
    assert days == sorted(set(days))


def test_calendar_agrees_with_the_package_on_every_day():
    for day in _days(date(2025, 1, 1), date(2026, 12, 31)):
        assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day), day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 28), True),  # make-up Sunday
        (date(2025, 10, 11), True),  # make-up Saturday
        (date(2025, 10, 1), False),  # holiday on a Wednesday
        (date(2025, 10, 4), False),  # weekend inside the holiday
        (date(2025, 9, 27), False),  # plain Saturday
        (date(2025, 9, 29), True),  # plain Monday
        (date(2030, 2, 4), True),  # unknown year: Monday-to-Friday only
        (date(2030, 2, 2), False),
    ],
)
def test_is_working_day(day, expected):
    assert CALENDAR.is_working_day(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2025, 1, 1), True), (date(2026, 12, 31), True), (date(2027, 1, 1), False)],
)
def test_is_known(day, expected):
    assert CALENDAR.is_known(day) is expected


def test_from_entries_splits_holidays_and_make_up_days():
    calendar = WorkCalendar.from_entries(
        [
            CalendarEntry(date(2031, 1, 1), False, "元旦"),
            CalendarEntry(date(2031, 1, 4), False, "holiday on a Saturday"),
            CalendarEntry(date(2031, 1, 5), True, "调休"),
        ],
        known_years=[2031],
    )
    assert calendar.holidays == frozenset({date(2031, 1, 1), date(2031, 1, 4)})
    assert calendar.makeup_workdays == frozenset({date(2031, 1, 5)})
    assert calendar.known_years == frozenset({2031})
    assert not calendar.is_working_day(date(2031, 1, 1))
    assert calendar.is_working_day(date(2031, 1, 5))


def test_make_up_wins_over_holiday_when_both_are_given():
    day = date(2031, 1, 5)
    calendar = WorkCalendar(holidays=frozenset({day}), makeup_workdays=frozenset({day}))
    assert calendar.is_working_day(day)


def test_empty_calendar_is_monday_to_friday_and_knows_no_year():
    calendar = WorkCalendar()
    week = _days(date(2025, 9, 29), date(2025, 10, 5))
    assert [calendar.is_working_day(d) for d in week] == [True] * 5 + [False] * 2
    assert not calendar.is_known(date(2025, 10, 1))


def test_calendar_is_immutable():
    with pytest.raises(FrozenInstanceError):
        CALENDAR.known_years = frozenset()  # type: ignore[misc]
