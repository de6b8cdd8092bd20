"""Deadline arithmetic against the real 2025/2026 Chinese calendar (no database, no app)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from portal.services.deadlines import (
    DEFAULT_POLICIES,
    Deadline,
    PolicyDefaults,
    Unit,
    compute_due,
    extend_for_pause,
    warn_at,
)
from portal.services.workdays import WorkCalendar, from_chinese_calendar

SH = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar.from_entries(*from_chinese_calendar([2025, 2026, 2027]))
WD, DAYS, HOURS = Unit.WORKING_DAYS, Unit.DAYS, Unit.HOURS


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("received", "amount", "due"),
    [
        # Friday; Saturday off; Sunday 28 Sept 2025 is a make-up working day (调休).
        (sh(2025, 9, 26, 10), 1, sh(2025, 9, 28, 17, 30)),
        # National Day + Mid-Autumn 1-8 Oct 2025 off; Saturday 11 Oct worked.
        (sh(2025, 9, 30, 10), 1, sh(2025, 10, 9, 17, 30)),
        (sh(2025, 9, 30, 10), 2, sh(2025, 10, 10, 17, 30)),
        (sh(2025, 9, 30, 10), 3, sh(2025, 10, 11, 17, 30)),
        # Received on a holiday: the next working day is day 1.
        (sh(2025, 10, 3, 12), 1, sh(2025, 10, 9, 17, 30)),
        # Received on a plain Saturday / Sunday.
        (sh(2025, 11, 15, 10), 1, sh(2025, 11, 17, 17, 30)),
        (sh(2025, 11, 16, 23, 59), 2, sh(2025, 11, 18, 17, 30)),
        # Received before close of business still does not count the day itself.
        (sh(2025, 11, 17, 8), 1, sh(2025, 11, 18, 17, 30)),
        # 15 WD across Spring Festival 2026 (15-23 Feb off; Sat 14 and Sat 28 Feb worked).
        (sh(2026, 2, 9, 9), 15, sh(2026, 3, 6, 17, 30)),
        (sh(2026, 2, 13, 9), 15, sh(2026, 3, 12, 17, 30)),
        # New Year 2026: 1-3 Jan off, Sunday 4 Jan worked.
        (sh(2025, 12, 31, 9), 1, sh(2026, 1, 4, 17, 30)),
        (sh(2025, 12, 31, 9), 2, sh(2026, 1, 5, 17, 30)),
    ],
)
def test_working_days(received, amount, due):
    assert compute_due(received, amount, WD, CALENDAR) == Deadline(due, calendar_unknown=False)


@pytest.mark.parametrize(
    "day", [date(2025, 9, 26), date(2025, 9, 30), date(2025, 10, 4), date(2026, 2, 14)]
)
@pytest.mark.parametrize("unit", [WD, DAYS])
def test_hour_of_receipt_does_not_matter(day, unit):
    early = compute_due(datetime.combine(day, time(0, 1), SH), 2, unit, CALENDAR)
    late = compute_due(datetime.combine(day, time(23, 59), SH), 2, unit, CALENDAR)
    assert early == late


def test_result_is_utc_and_receipt_day_is_the_local_one():
    # 16:30 UTC on Thursday is 00:30 on Friday 26 Sept in Shanghai.
    deadline = compute_due(datetime(2025, 9, 25, 16, 30, tzinfo=UTC), 1, WD, CALENDAR)
    assert deadline.due_at == datetime(2025, 9, 28, 9, 30, tzinfo=UTC)
    assert deadline.due_at.tzinfo is UTC


def test_close_of_business_and_zone_are_configurable():
    deadline = compute_due(
        sh(2025, 9, 30, 10), 1, WD, CALENDAR, tz=ZoneInfo("Asia/Urumqi"), close_of_business=time(18)
    )
    assert deadline.due_at == datetime(2025, 10, 9, 18, tzinfo=ZoneInfo("Asia/Urumqi"))


@pytest.mark.parametrize("amount", [1, 2, 5, 10, 15])
def test_working_days_match_the_package_for_every_receipt_day_of_2025(amount):
    for offset in range(365):
        day = date(2025, 1, 1) + timedelta(days=offset)
        due = compute_due(datetime.combine(day, time(12), SH), amount, WD, CALENDAR)
        # find_workday(k, d) is the k-th working day after the first working day >= d.
        expected = chinese_calendar.find_workday(amount - 1, day + timedelta(days=1))
        assert due.due_at == datetime.combine(expected, time(17, 30), SH), day


@pytest.mark.parametrize(
    ("received", "amount", "due"),
    [
        (sh(2025, 11, 3, 23), 2, sh(2025, 11, 4, 1)),  # crosses midnight
        (sh(2025, 9, 30, 20, 15), 24, sh(2025, 10, 1, 20, 15)),  # holidays do not stop it
        (sh(2025, 9, 27, 9, 5), 2, sh(2025, 9, 27, 11, 5)),  # Saturday, any day
    ],
)
def test_hours_are_wall_clock(received, amount, due):
    assert compute_due(received, amount, HOURS, CALENDAR) == Deadline(due, calendar_unknown=False)


@pytest.mark.parametrize(
    ("received", "amount", "due"),
    [
        (sh(2025, 9, 30, 10), 60, sh(2025, 11, 29, 17, 30)),  # ends on a Saturday: kept
        (sh(2025, 10, 1, 23, 59), 15, sh(2025, 10, 16, 17, 30)),  # holidays count
        (sh(2026, 11, 20, 9), 60, sh(2027, 1, 19, 17, 30)),  # no calendar needed
    ],
)
def test_calendar_days(received, amount, due):
    assert compute_due(received, amount, DAYS, CALENDAR) == Deadline(due, calendar_unknown=False)


@pytest.mark.parametrize(
    ("received", "amount", "due", "unknown"),
    [
        # 2030 has no data: Monday-to-Friday fallback (Friday -> Monday), flagged.
        (sh(2030, 2, 1, 9), 1, sh(2030, 2, 4, 17, 30), True),
        (sh(2030, 2, 1, 9), 5, sh(2030, 2, 8, 17, 30), True),
        # Last day of the known calendar: the count stays in 2026.
        (sh(2026, 12, 30, 9), 1, sh(2026, 12, 31, 17, 30), False),
        # ... one more working day lands on 1 Jan 2027, not yet published.
        (sh(2026, 12, 30, 9), 2, sh(2027, 1, 1, 17, 30), True),
        # Received on 31 Dec: the first day looked at is already in 2027.
        (sh(2026, 12, 31, 23, 59), 1, sh(2027, 1, 1, 17, 30), True),
    ],
)
def test_unknown_year_falls_back_and_is_flagged(received, amount, due, unknown):
    assert compute_due(received, amount, WD, CALENDAR) == Deadline(due, calendar_unknown=unknown)


def test_skipped_days_in_an_unknown_year_also_flag():
    # Only 2023 is known. From Friday 30 Dec 2022 the count skips Saturday 31 Dec 2022, which
    # might have been a make-up working day: the Monday answer is uncertain even though it
    # falls in a known year.
    calendar = WorkCalendar(known_years=frozenset({2023}))
    deadline = compute_due(sh(2022, 12, 30, 9), 1, WD, calendar)
    assert deadline == Deadline(sh(2023, 1, 2, 17, 30), calendar_unknown=True)


def test_unit_may_be_given_as_the_stored_string():
    deadline = compute_due(sh(2025, 9, 26, 10), 1, "working_days", CALENDAR)  # type: ignore[arg-type]
    assert deadline.due_at == sh(2025, 9, 28, 17, 30)


@pytest.mark.parametrize("unit", list(Unit))
def test_naive_receipt_time_is_rejected(unit):
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_due(datetime(2025, 9, 26, 10), 1, unit, CALENDAR)


@pytest.mark.parametrize("amount", [0, -1])
def test_amount_below_one_is_rejected(amount):
    with pytest.raises(ValueError, match="at least 1"):
        compute_due(sh(2025, 9, 26, 10), amount, WD, CALENDAR)


def test_a_calendar_without_working_days_stops_instead_of_looping():
    every_day = frozenset(date(2025, 1, 1) + timedelta(days=i) for i in range(366 * 11))
    with pytest.raises(ValueError, match="working days"):
        compute_due(sh(2025, 1, 1, 9), 1, WD, WorkCalendar(holidays=every_day))


@pytest.mark.parametrize(
    ("received", "deadline", "expected"),
    [
        (sh(2025, 11, 3, 23), sh(2025, 11, 4, 1), sh(2025, 11, 4, 0, 20)),
        (sh(2025, 9, 26, 17, 30), sh(2025, 9, 28, 17, 30), sh(2025, 9, 28, 1, 30)),
    ],
)
def test_warn_at_two_thirds_of_the_wall_clock_interval(received, deadline, expected):
    result = warn_at(received, deadline)
    assert result == expected
    assert result.tzinfo is UTC


def test_warn_at_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        warn_at(datetime(2025, 9, 26, 10), sh(2025, 9, 28, 17, 30))


@pytest.mark.parametrize(
    ("due", "paused", "resumed", "unit", "expected"),
    [
        # Same day: costs nothing.
        (
            sh(2025, 11, 21, 17, 30),
            sh(2025, 11, 17, 9),
            sh(2025, 11, 17, 16),
            WD,
            sh(2025, 11, 21, 17, 30),
        ),
        # Monday 16:00 -> Tuesday 09:00 costs Monday: Friday due moves to Monday.
        (
            sh(2025, 11, 21, 17, 30),
            sh(2025, 11, 17, 16),
            sh(2025, 11, 18, 9),
            WD,
            sh(2025, 11, 24, 17, 30),
        ),
        # Friday -> Monday over a make-up Sunday costs Friday and Sunday 28 Sept;
        # the due date then skips the National Day holiday.
        (
            sh(2025, 9, 30, 17, 30),
            sh(2025, 9, 26, 10),
            sh(2025, 9, 29, 9),
            WD,
            sh(2025, 10, 10, 17, 30),
        ),
        # A pause over the whole National Day break costs only 30 Sept.
        (
            sh(2025, 10, 20, 17, 30),
            sh(2025, 9, 30, 15),
            sh(2025, 10, 9, 9),
            WD,
            sh(2025, 10, 21, 17, 30),
        ),
        # Paused on a Saturday, resumed Monday: no working day consumed.
        (
            sh(2025, 11, 21, 17, 30),
            sh(2025, 11, 15, 10),
            sh(2025, 11, 17, 9),
            WD,
            sh(2025, 11, 21, 17, 30),
        ),
        # Calendar days: 1 Oct -> 5 Oct costs 4 days.
        (
            sh(2025, 11, 29, 17, 30),
            sh(2025, 10, 1, 10),
            sh(2025, 10, 5, 9),
            DAYS,
            sh(2025, 12, 3, 17, 30),
        ),
        (
            sh(2025, 11, 29, 17, 30),
            sh(2025, 10, 1, 10),
            sh(2025, 10, 1, 23),
            DAYS,
            sh(2025, 11, 29, 17, 30),
        ),
        # Hours: the exact wall-clock duration.
        (
            sh(2025, 11, 4, 1),
            sh(2025, 11, 3, 23, 10),
            sh(2025, 11, 3, 23, 40),
            HOURS,
            sh(2025, 11, 4, 1, 30),
        ),
    ],
)
def test_extend_for_pause(due, paused, resumed, unit, expected):
    result = extend_for_pause(due, paused, resumed, unit, CALENDAR)
    assert result == expected
    assert result.tzinfo is UTC


def test_extend_for_pause_can_reset_to_close_of_business():
    result = extend_for_pause(
        sh(2025, 11, 21, 12),
        sh(2025, 11, 17, 16),
        sh(2025, 11, 18, 9),
        WD,
        CALENDAR,
        close_of_business=time(17, 30),
    )
    assert result == sh(2025, 11, 24, 17, 30)


def test_extend_for_pause_rejects_resume_before_pause_and_naive_times():
    with pytest.raises(ValueError, match="before"):
        extend_for_pause(sh(2025, 11, 21, 17, 30), sh(2025, 11, 18), sh(2025, 11, 17), WD, CALENDAR)
    with pytest.raises(ValueError, match="timezone-aware"):
        extend_for_pause(
            sh(2025, 11, 21, 17, 30), datetime(2025, 11, 17), sh(2025, 11, 18), WD, CALENDAR
        )


@pytest.mark.parametrize(
    ("case_type", "policy"),
    [
        ("urgent", PolicyDefaults(2, HOURS, 24, HOURS)),
        ("consultation", PolicyDefaults(1, WD, 2, WD)),
        ("help", PolicyDefaults(1, WD, 10, WD, max_extensions=1, extension_amount=10)),
        ("need", PolicyDefaults(1, WD, 10, WD, max_extensions=1, extension_amount=10)),
        ("suggestion", PolicyDefaults(1, WD, 10, WD)),
        ("complaint", PolicyDefaults(1, WD, 15, WD)),
        ("report", PolicyDefaults(1, WD, 15, WD)),
        ("petition", PolicyDefaults(15, DAYS, 60, DAYS, max_extensions=1, extension_amount=30)),
        ("correction", PolicyDefaults(1, WD, 5, WD)),
        ("follow_up", PolicyDefaults(1, WD, 15, WD)),
    ],
)
def test_default_policies(case_type, policy):
    assert DEFAULT_POLICIES[case_type] == policy


def test_default_policies_cover_exactly_the_case_types():
    assert set(DEFAULT_POLICIES) == {
        "urgent",
        "consultation",
        "help",
        "need",
        "suggestion",
        "complaint",
        "report",
        "petition",
        "correction",
        "follow_up",
    }
