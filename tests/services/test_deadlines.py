"""Deadline arithmetic against the real 2024-2026 Chinese calendar (no database, no app)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from portal.services.sla.deadlines import (
    DEFAULT_POLICIES,
    Deadline,
    PolicyDefaults,
    Unit,
    compute_due,
    extend_deadline,
    extend_for_pause,
    warn_at,
)
from portal.services.sla.workdays import WorkCalendar, from_chinese_calendar

SH = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar.from_entries(*from_chinese_calendar([2024, 2025, 2026, 2027]))
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


# ---------------------------------------------------------------------------------------------
# The deadline table: one row per situation, real 2024-2026 dates, the default policies.
# Each row: what it shows, received (local), policy (case type), clock ("ack" = first reply,
# "resolve"), expected due (local), expected calendar_unknown. Expected dates were worked out
# by hand from the State Council's notices, not by running the code.

ROWS = [
    # Weekends.
    ("friday-to-monday", sh(2024, 11, 15, 10), "complaint", "ack", sh(2024, 11, 18, 17, 30), False),
    (
        "saturday-receipt",
        sh(2024, 11, 16, 10),
        "consultation",
        "resolve",
        sh(2024, 11, 19, 17, 30),
        False,
    ),
    (
        "sunday-late-receipt",
        sh(2024, 11, 17, 23, 59),
        "consultation",
        "resolve",
        sh(2024, 11, 19, 17, 30),
        False,
    ),
    (
        "15-wd-over-three-weekends",
        sh(2024, 11, 4, 9),
        "complaint",
        "resolve",
        sh(2024, 11, 25, 17, 30),
        False,
    ),
    # Public holidays.
    ("national-day-2024", sh(2024, 9, 30, 10), "complaint", "ack", sh(2024, 10, 8, 17, 30), False),
    (
        "national-day-2025-5wd",
        sh(2025, 9, 30, 9),
        "correction",
        "resolve",
        sh(2025, 10, 14, 17, 30),
        False,
    ),
    (
        "spring-festival-2024",
        sh(2024, 2, 9, 10),
        "complaint",
        "ack",
        sh(2024, 2, 18, 17, 30),
        False,
    ),
    (
        "spring-festival-2025",
        sh(2025, 1, 27, 10),
        "consultation",
        "resolve",
        sh(2025, 2, 6, 17, 30),
        False,
    ),
    (
        "spring-festival-2026",
        sh(2026, 2, 14, 10),
        "complaint",
        "ack",
        sh(2026, 2, 24, 17, 30),
        False,
    ),
    ("qingming-2026", sh(2026, 4, 3, 10), "complaint", "ack", sh(2026, 4, 7, 17, 30), False),
    # Make-up working days (调休) on a Saturday or Sunday.
    (
        "makeup-sunday-2025-09-28",
        sh(2025, 9, 27, 10),
        "complaint",
        "ack",
        sh(2025, 9, 28, 17, 30),
        False,
    ),
    (
        "makeup-saturday-2026-02-14",
        sh(2026, 2, 13, 16),
        "complaint",
        "ack",
        sh(2026, 2, 14, 17, 30),
        False,
    ),
    (
        "makeup-saturday-2026-02-28",
        sh(2026, 2, 27, 10),
        "complaint",
        "ack",
        sh(2026, 2, 28, 17, 30),
        False,
    ),
    (
        "makeup-saturday-2024-10-12",
        sh(2024, 10, 11, 10),
        "complaint",
        "ack",
        sh(2024, 10, 12, 17, 30),
        False,
    ),
    (
        "makeup-sunday-2025-01-26",
        sh(2025, 1, 25, 10),
        "complaint",
        "ack",
        sh(2025, 1, 26, 17, 30),
        False,
    ),
    (
        "makeup-sunday-2026-09-20",
        sh(2026, 9, 19, 10),
        "consultation",
        "resolve",
        sh(2026, 9, 21, 17, 30),
        False,
    ),
    # Receipt outside office hours: the day of receipt never counts, whatever the hour.
    ("before-0800", sh(2025, 11, 18, 7, 59), "complaint", "ack", sh(2025, 11, 19, 17, 30), False),
    ("after-1730", sh(2025, 11, 18, 17, 31), "complaint", "ack", sh(2025, 11, 19, 17, 30), False),
    ("at-2359", sh(2025, 11, 18, 23, 59), "complaint", "ack", sh(2025, 11, 19, 17, 30), False),
    (
        "at-0001-next-day",
        sh(2025, 11, 19, 0, 1),
        "complaint",
        "ack",
        sh(2025, 11, 20, 17, 30),
        False,
    ),
    # Receipt on a holiday: the next working day is day 1.
    (
        "on-national-day-2025",
        sh(2025, 10, 1, 9),
        "complaint",
        "resolve",
        sh(2025, 10, 28, 17, 30),
        False,
    ),
    (
        "on-national-day-2026",
        sh(2026, 10, 5, 8),
        "complaint",
        "ack",
        sh(2026, 10, 8, 17, 30),
        False,
    ),
    ("on-labour-day-2024", sh(2024, 5, 1, 12), "complaint", "ack", sh(2024, 5, 6, 17, 30), False),
    # Urgent cases in hours: wall-clock, across midnight, holidays and the year end.
    ("urgent-2h-over-midnight", sh(2025, 12, 31, 23), "urgent", "ack", sh(2026, 1, 1, 1), False),
    (
        "urgent-2h-on-a-holiday",
        sh(2026, 2, 17, 3, 30),
        "urgent",
        "ack",
        sh(2026, 2, 17, 5, 30),
        False,
    ),
    ("urgent-24h-into-2027", sh(2026, 12, 31, 22), "urgent", "resolve", sh(2027, 1, 1, 22), False),
    # Formal petitions in calendar days: holidays count, weekends kept, no calendar needed.
    (
        "petition-15-days-over-spring-festival",
        sh(2026, 2, 10, 10),
        "petition",
        "ack",
        sh(2026, 2, 25, 17, 30),
        False,
    ),
    (
        "petition-60-days-from-new-years-eve",
        sh(2024, 12, 31, 23, 59),
        "petition",
        "resolve",
        sh(2025, 3, 1, 17, 30),
        False,
    ),
    (
        "petition-60-days-into-2027",
        sh(2026, 12, 30, 10),
        "petition",
        "resolve",
        sh(2027, 2, 28, 17, 30),
        False,
    ),
    # Year ends.
    ("2024-into-2025", sh(2024, 12, 31, 10), "complaint", "ack", sh(2025, 1, 2, 17, 30), False),
    ("2025-into-2026", sh(2025, 12, 31, 9), "complaint", "resolve", sh(2026, 1, 22, 17, 30), False),
    (
        "2026-stays-in-2026",
        sh(2026, 12, 30, 10),
        "complaint",
        "ack",
        sh(2026, 12, 31, 17, 30),
        False,
    ),
    # 2027 has no calendar: Monday-to-Friday (1 Jan 2027 is a Friday, counted), flagged.
    ("2026-into-2027", sh(2026, 12, 30, 10), "complaint", "resolve", sh(2027, 1, 20, 17, 30), True),
    ("new-years-eve-2026", sh(2026, 12, 31, 10), "help", "resolve", sh(2027, 1, 14, 17, 30), True),
    ("inside-2027", sh(2027, 6, 30, 10), "complaint", "ack", sh(2027, 7, 1, 17, 30), True),
]


@pytest.mark.parametrize(
    ("received", "case_type", "clock", "due", "unknown"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_deadline_table(received, case_type, clock, due, unknown):
    policy = DEFAULT_POLICIES[case_type]
    amount, unit = (
        (policy.ack_amount, policy.ack_unit)
        if clock == "ack"
        else (policy.resolve_amount, policy.resolve_unit)
    )
    assert compute_due(received, amount, unit, CALENDAR) == Deadline(due, calendar_unknown=unknown)


@pytest.mark.parametrize("year", [2024, 2026])
@pytest.mark.parametrize("amount", [1, 3, 10, 15])
def test_working_days_match_the_package_for_every_receipt_day_of(year, amount):
    # Up to early December, so that the count stays inside the package's years.
    day = date(year, 1, 1)
    while day < date(year, 12, 1):
        due = compute_due(datetime.combine(day, time(9), SH), amount, WD, CALENDAR)
        expected = chinese_calendar.find_workday(amount - 1, day + timedelta(days=1))
        assert due == Deadline(datetime.combine(expected, time(17, 30), SH), False), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("due", "paused", "resumed", "unit", "expected"),
    [
        # Over a plain weekend: costs Friday only; Wednesday's deadline moves to Thursday.
        (
            sh(2025, 11, 19, 17, 30),
            sh(2025, 11, 14, 15),
            sh(2025, 11, 17, 9),
            WD,
            sh(2025, 11, 20, 17, 30),
        ),
        # Over Spring Festival 2026: costs Friday 13 and the make-up Saturday 14 Feb.
        (
            sh(2026, 3, 2, 17, 30),
            sh(2026, 2, 13, 10),
            sh(2026, 2, 24, 9),
            WD,
            sh(2026, 3, 4, 17, 30),
        ),
        # Paused and resumed inside National Day 2026: nothing consumed.
        (
            sh(2026, 10, 20, 17, 30),
            sh(2026, 10, 2, 10),
            sh(2026, 10, 6, 10),
            WD,
            sh(2026, 10, 20, 17, 30),
        ),
        # Urgent (hours) over midnight: exactly the hour paused.
        (
            sh(2026, 1, 1, 1),
            sh(2025, 12, 31, 23, 30),
            sh(2026, 1, 1, 0, 30),
            HOURS,
            sh(2026, 1, 1, 2),
        ),
        # Petition (calendar days) over Spring Festival 2026: 10 days.
        (
            sh(2026, 4, 10, 17, 30),
            sh(2026, 2, 14, 10),
            sh(2026, 2, 24, 9),
            DAYS,
            sh(2026, 4, 20, 17, 30),
        ),
        # The due date is pushed into 2027 (Monday-to-Friday there).
        (
            sh(2026, 12, 31, 17, 30),
            sh(2026, 12, 29, 10),
            sh(2026, 12, 30, 10),
            WD,
            sh(2027, 1, 1, 17, 30),
        ),
    ],
)
def test_pause_table(due, paused, resumed, unit, expected):
    assert extend_for_pause(due, paused, resumed, unit, CALENDAR) == expected


@pytest.mark.parametrize(
    ("case_type", "due", "expected", "unknown"),
    [
        # help/need: 10 WD from the current deadline, over the make-up Sunday and National Day.
        ("help", sh(2025, 9, 26, 17, 30), sh(2025, 10, 16, 17, 30), False),
        # need: over Spring Festival 2026 and both make-up Saturdays.
        ("need", sh(2026, 2, 13, 17, 30), sh(2026, 3, 5, 17, 30), False),
        # A deadline at noon (a pause kept its time): the extension ends at close of business.
        ("need", sh(2025, 11, 21, 12), sh(2025, 12, 5, 17, 30), False),
        # Petition: 30 calendar days.
        ("petition", sh(2026, 11, 29, 17, 30), sh(2026, 12, 29, 17, 30), False),
        ("petition", sh(2026, 12, 20, 17, 30), sh(2027, 1, 19, 17, 30), False),
        # Into 2027, which has no calendar: 1 Jan 2027 (Friday) counts, flagged.
        ("help", sh(2026, 12, 24, 17, 30), sh(2027, 1, 7, 17, 30), True),
    ],
)
def test_extension_table(case_type, due, expected, unknown):
    policy = DEFAULT_POLICIES[case_type]
    result = extend_deadline(due, policy.extension_amount, policy.resolve_unit, CALENDAR)
    assert result == Deadline(expected, calendar_unknown=unknown)
    assert result.due_at.tzinfo is UTC


def test_extension_in_hours_is_wall_clock():
    result = extend_deadline(sh(2026, 12, 31, 23), 24, HOURS, CALENDAR)
    assert result == Deadline(sh(2027, 1, 1, 23), calendar_unknown=False)


def test_extension_counts_from_the_local_day_of_a_utc_deadline():
    # 17:30 on Friday 26 Sept 2025 in Shanghai is 09:30 UTC; one working day later is Sunday.
    result = extend_deadline(datetime(2025, 9, 26, 9, 30, tzinfo=UTC), 1, WD, CALENDAR)
    assert result.due_at == sh(2025, 9, 28, 17, 30)


def test_extension_rejects_naive_deadlines_and_amounts_below_one():
    with pytest.raises(ValueError, match="timezone-aware"):
        extend_deadline(datetime(2025, 9, 26, 17, 30), 10, WD, CALENDAR)
    with pytest.raises(ValueError, match="at least 1"):
        extend_deadline(sh(2025, 9, 26, 17, 30), 0, WD, CALENDAR)
