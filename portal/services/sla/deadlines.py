"""Response deadlines: when a case must be acknowledged and answered (事事有回音).

Pure arithmetic over a `WorkCalendar`, so it can be tested exhaustively without a database.
The counting rules come from domain.md ("Default response deadlines"):

- "N working days" ends at close of business (17:30 Asia/Shanghai by default) on the Nth
  working day *after* the local day of receipt. The day of receipt never counts, whatever the
  hour, so a case received at 00:01 and one received at 23:59 share a deadline; a case received
  on a holiday or weekend starts counting on the next working day, which is day 1.
- "N days" (formal petitions) counts calendar days the same way: close of business on the Nth
  calendar day after the local day of receipt.
- "N hours" (urgent cases) is wall-clock time from receipt, any day.

All datetimes in and out are timezone-aware; results are in UTC. Local dates are taken in `tz`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from portal.services.sla.workdays import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSE_OF_BUSINESS = time(17, 30)
ONE_DAY = timedelta(days=1)

#: Guard against a calendar an administrator filled with holidays only: stop instead of
#: looping for ever, after ten years without enough working days.
_MAX_SCAN_DAYS = 3660


class Unit(StrEnum):
    """How a policy amount is counted (stored as these strings in the database)."""

    HOURS = "hours"
    WORKING_DAYS = "working_days"
    DAYS = "days"


@dataclass(frozen=True)
class Deadline:
    """A computed deadline.

    `calendar_unknown` is True when the count went through a year whose official calendar is
    not loaded, so the Monday-to-Friday fallback was used and the deadline may still move once
    the State Council publishes that year's holidays. The UI warns: "this deadline may move:
    the official calendar for YEAR is not published yet". Only working-day counts consult the
    calendar, so hour and calendar-day deadlines never set it.
    """

    due_at: datetime
    calendar_unknown: bool


@dataclass(frozen=True)
class PolicyDefaults:
    """Default SLA of one case type; administrators may edit every value.

    `extension_amount` is counted in `resolve_unit`; `max_extensions` is how many times the
    resolve deadline may be extended (each time with a reason shown to the resident).
    """

    ack_amount: int
    ack_unit: Unit
    resolve_amount: int
    resolve_unit: Unit
    max_extensions: int = 0
    extension_amount: int = 0


def _wd(ack: int, resolve: int, max_extensions: int = 0, extension: int = 0) -> PolicyDefaults:
    return PolicyDefaults(
        ack, Unit.WORKING_DAYS, resolve, Unit.WORKING_DAYS, max_extensions, extension
    )


#: The table in domain.md (信访工作条例 2022, Guangdong 12345 rules, city hotline practice).
#: domain.md gives help/need one extension without a length; it is set here to the original
#: resolve period (10 WD), an assumption an administrator can change.
DEFAULT_POLICIES: dict[str, PolicyDefaults] = {
    "urgent": PolicyDefaults(2, Unit.HOURS, 24, Unit.HOURS),
    "consultation": _wd(1, 2),
    "help": _wd(1, 10, max_extensions=1, extension=10),
    "need": _wd(1, 10, max_extensions=1, extension=10),
    "suggestion": _wd(1, 10),
    "complaint": _wd(1, 15),
    "report": _wd(1, 15),
    "petition": PolicyDefaults(15, Unit.DAYS, 60, Unit.DAYS, max_extensions=1, extension_amount=30),
    "correction": _wd(1, 5),
    "follow_up": _wd(1, 15),
}


def _require_aware(name: str, value: datetime) -> None:
    # A naive datetime would be read in the server's zone, silently shifting deadlines by 8 h.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _add_working_days(start: date, n: int, calendar: WorkCalendar) -> tuple[date, bool]:
    """The nth working day after `start` (which never counts itself).

    Also says whether any day looked at lies in a year the calendar does not know: a skipped
    day there could turn out to be a make-up working day, so it makes the result uncertain too.
    """
    day, counted, unknown = start, 0, False
    while counted < n:
        if (day - start).days >= _MAX_SCAN_DAYS:
            raise ValueError(f"fewer than {n} working days in {_MAX_SCAN_DAYS} days after {start}")
        day += ONE_DAY
        unknown = unknown or not calendar.is_known(day)
        if calendar.is_working_day(day):
            counted += 1
    return day, unknown


def compute_due(
    received_at: datetime,
    amount: int,
    unit: Unit,
    calendar: WorkCalendar,
    *,
    tz: ZoneInfo = SHANGHAI,
    close_of_business: time = CLOSE_OF_BUSINESS,
) -> Deadline:
    """Deadline for answering within `amount` `unit`s of `received_at` (rules: module doc).

    For a year missing from `calendar.known_years` the count falls back to Monday-to-Friday
    (what `WorkCalendar.is_working_day` does without data) and `calendar_unknown` is set.
    Raises ValueError for a naive `received_at` or an amount below 1.
    """
    _require_aware("received_at", received_at)
    if amount < 1:
        raise ValueError(f"amount must be at least 1, got {amount}")
    unit = Unit(unit)
    if unit is Unit.HOURS:
        return Deadline(
            due_at=(received_at + timedelta(hours=amount)).astimezone(UTC), calendar_unknown=False
        )
    received_day = received_at.astimezone(tz).date()
    if unit is Unit.DAYS:
        due_day, unknown = received_day + timedelta(days=amount), False
    else:
        due_day, unknown = _add_working_days(received_day, amount, calendar)
    return Deadline(due_at=_at(due_day, close_of_business, tz), calendar_unknown=unknown)


def extend_deadline(
    due_at: datetime,
    amount: int,
    unit: Unit,
    calendar: WorkCalendar,
    *,
    tz: ZoneInfo = SHANGHAI,
    close_of_business: time = CLOSE_OF_BUSINESS,
) -> Deadline:
    """The deadline after one extension of `amount` `unit`s, counted from the current `due_at`.

    The same counting rule as `compute_due`, with the current deadline standing in for the
    time of receipt: WORKING_DAYS ends at close of business on the Nth working day after
    `due_at`'s local day; DAYS at close of business on the Nth calendar day after it; HOURS is
    `due_at` + N hours, wall-clock. `calendar_unknown` says whether the new count went through
    a year without an official calendar. Raises ValueError like `compute_due`.
    """
    _require_aware("due_at", due_at)
    return compute_due(due_at, amount, unit, calendar, tz=tz, close_of_business=close_of_business)


def warn_at(received_at: datetime, deadline: datetime) -> datetime:
    """When to warn the handler: two thirds of the way from receipt to the deadline.

    Simple wall-clock two thirds of the interval, not two thirds of the working time: it is
    easy to explain and never later than the working-time answer would be by more than a
    weekend. The sweep, not this function, holds warnings until staff working hours.
    """
    _require_aware("received_at", received_at)
    _require_aware("deadline", deadline)
    return (received_at + (deadline - received_at) * 2 / 3).astimezone(UTC)


def _working_days_between(first: date, end: date, calendar: WorkCalendar) -> int:
    """Working days d with first <= d < end."""
    count, day = 0, first
    while day < end:
        count += calendar.is_working_day(day)
        day += ONE_DAY
    return count


def extend_for_pause(
    due_at: datetime,
    paused_from: datetime,
    resumed_at: datetime,
    unit: Unit,
    calendar: WorkCalendar,
    *,
    tz: ZoneInfo = SHANGHAI,
    close_of_business: time | None = None,
) -> datetime:
    """Push `due_at` by the time a pause (waiting for the resident) took; returns UTC.

    The rule, chosen to be simple to state and to check by hand:

    - WORKING_DAYS: the pause costs the working days d with
      local_date(paused_from) <= d < local_date(resumed_at); a pause that starts and ends on
      the same day costs nothing, one from Friday to the next Monday costs one (Friday).
      The due date then moves forward by that many working days, at close of business
      (`close_of_business`, or the local time of `due_at` when not given).
    - DAYS: the same with calendar days: due date + (local_date(resumed_at) -
      local_date(paused_from)) days, same local time.
    - HOURS: due_at + (resumed_at - paused_from), wall-clock.

    Apply once per pause. Raises ValueError for naive datetimes or a resume before the pause.
    """
    for name, value in (
        ("due_at", due_at),
        ("paused_from", paused_from),
        ("resumed_at", resumed_at),
    ):
        _require_aware(name, value)
    if resumed_at < paused_from:
        raise ValueError(f"resumed_at {resumed_at} is before paused_from {paused_from}")
    unit = Unit(unit)
    if unit is Unit.HOURS:
        return (due_at + (resumed_at - paused_from)).astimezone(UTC)
    first, end = paused_from.astimezone(tz).date(), resumed_at.astimezone(tz).date()
    due_local = due_at.astimezone(tz)
    if unit is Unit.DAYS:
        shift = (end - first).days
        new_day = due_local.date() + timedelta(days=shift)
    else:
        shift = _working_days_between(first, end, calendar)
        new_day, _ = _add_working_days(due_local.date(), shift, calendar)
    if shift == 0:
        return due_at.astimezone(UTC)
    at = due_local.time() if close_of_business is None else close_of_business
    return _at(new_day, at, tz)
