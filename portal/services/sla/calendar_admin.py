"""Administrators' edits to the working-day calendar: exceptions, published years, reloads.

Every change is audited (`AuditEvent`, action `calendar.*`). Edited days get source `admin`,
which `seed_calendar` never overwrites; a year an administrator entered by hand is marked
loaded with source `admin`, so the package never fills it in behind their back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from portal.models import AuditEvent, CalendarDay, CalendarYear
from portal.models.base import AnySession
from portal.services.sla.sla import local_zone, seed_calendar

#: The first year every installation loads from the chinese-calendar package.
FIRST_SEEDED_YEAR = 2024
#: How far from today an administrator may edit (older cases keep their stored deadlines).
YEARS_BACK = 5
YEARS_AHEAD = 5
NAME_LENGTH = 64


class CalendarError(ValueError):
    """An edit the calendar refuses; `code` says which rule (the view words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class YearOverview:
    year: int
    loaded: bool
    source: str | None  # "package", "admin", or None when not loaded
    days: list[CalendarDay]

    @property
    def holidays(self) -> int:
        return sum(not d.is_working_day for d in self.days)

    @property
    def makeup_days(self) -> int:
        return sum(d.is_working_day for d in self.days)


def local_today(now: datetime) -> date:
    """The date in the installation's zone (a year starts at local midnight, not UTC's)."""
    return now.astimezone(local_zone()).date()


def editable_years(today: date) -> range:
    return range(today.year - YEARS_BACK, today.year + YEARS_AHEAD + 1)


def seed_years(today: date) -> range:
    """The years every seed loads: 2024 onwards, and at least last year to next year."""
    return range(min(FIRST_SEEDED_YEAR, today.year - 1), today.year + 2)


def year_overview(session: AnySession, year: int) -> YearOverview:
    days = list(
        session.scalars(
            select(CalendarDay)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        )
    )
    loaded = session.get(CalendarYear, year)
    return YearOverview(
        year=year,
        loaded=loaded is not None,
        source=loaded.source if loaded is not None else None,
        days=days,
    )


def loaded_years(session: AnySession) -> list[int]:
    return list(session.scalars(select(CalendarYear.year).order_by(CalendarYear.year)))


def check_day(day: date, is_working_day: bool, name: str, today: date) -> None:
    """Raise CalendarError when the edit makes no sense (the form shows the message)."""
    if day.year not in editable_years(today):
        raise CalendarError("out_of_range")
    if not is_working_day and not name.strip():
        raise CalendarError("name_required")
    if is_working_day and day.weekday() < 5:
        raise CalendarError("weekday_already_working")


def _audit(
    session: AnySession,
    action: str,
    actor_id: int | None,
    now: datetime,
    data: dict[str, Any],
    ip_address: str | None,
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            object_type="calendar",
            data=data,
            ip_address=ip_address,
            created_at=now,
        )
    )


def _as_data(row: CalendarDay) -> dict[str, Any]:
    return {"is_working_day": row.is_working_day, "name": row.name, "source": row.source}


def save_day(
    session: AnySession,
    *,
    day: date,
    is_working_day: bool,
    name: str,
    actor_id: int | None,
    now: datetime,
    ip_address: str | None = None,
) -> CalendarDay:
    """Add an exception to Monday-to-Friday, or change one; audited `calendar.day_add/_change`."""
    name = name.strip()[:NAME_LENGTH]
    check_day(day, is_working_day, name, local_today(now))
    row = session.get(CalendarDay, day)
    new = {"is_working_day": is_working_day, "name": name, "source": "admin"}
    if row is None:
        row = CalendarDay(day=day, is_working_day=is_working_day, name=name, source="admin")
        session.add(row)
        _audit(
            session,
            "calendar.day_add",
            actor_id,
            now,
            {"day": day.isoformat(), "new": new},
            ip_address,
        )
    else:
        old = _as_data(row)
        row.is_working_day, row.name, row.source = is_working_day, name, "admin"
        _audit(
            session,
            "calendar.day_change",
            actor_id,
            now,
            {"day": day.isoformat(), "old": old, "new": new},
            ip_address,
        )
    session.flush()
    return row


def remove_day(
    session: AnySession,
    *,
    day: date,
    actor_id: int | None,
    now: datetime,
    ip_address: str | None = None,
) -> bool:
    """Make `day` follow Monday-to-Friday again; audited `calendar.day_remove`. False if absent."""
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    old = _as_data(row)
    session.delete(row)
    _audit(
        session,
        "calendar.day_remove",
        actor_id,
        now,
        {"day": day.isoformat(), "old": old},
        ip_address,
    )
    session.flush()
    return True


def mark_year_loaded(
    session: AnySession,
    *,
    year: int,
    actor_id: int | None,
    now: datetime,
    ip_address: str | None = None,
) -> bool:
    """Say that `year`'s official holidays are all entered (by hand); audited
    `calendar.year_publish`. False when the year was already loaded."""
    if year not in editable_years(local_today(now)):
        raise CalendarError("out_of_range")
    if session.get(CalendarYear, year) is not None:
        return False
    session.add(CalendarYear(year=year, source="admin"))
    _audit(session, "calendar.year_publish", actor_id, now, {"year": year}, ip_address)
    session.flush()
    return True


def reload_from_package(
    session: AnySession,
    *,
    actor_id: int | None,
    now: datetime,
    ip_address: str | None = None,
) -> list[int]:
    """Load the years the chinese-calendar package knows that are not loaded yet, keeping
    every administrator's edit; audited `calendar.reload`. Returns the newly loaded years."""
    before = set(loaded_years(session))
    seed_calendar(session, seed_years(local_today(now)))
    added = sorted(set(loaded_years(session)) - before)
    _audit(session, "calendar.reload", actor_id, now, {"years": added}, ip_address)
    session.flush()
    return added
