"""SLA policies and the working-day calendar, as stored in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from portal.models import CalendarDay, CalendarYear, SlaPolicy
from portal.models.base import AnySession
from portal.services.sla.deadlines import DEFAULT_POLICIES, Deadline, Unit, compute_due
from portal.services.sla.workdays import CalendarEntry, WorkCalendar, from_chinese_calendar


@dataclass(frozen=True)
class CaseDeadlines:
    first_response: Deadline
    resolution: Deadline

    @property
    def calendar_unknown(self) -> bool:
        return self.first_response.calendar_unknown or self.resolution.calendar_unknown


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def close_of_business() -> time:
    hours, minutes = current_app.config["SLA_CLOSE_OF_BUSINESS"].split(":")
    return time(int(hours), int(minutes))


def load_calendar(session: AnySession) -> WorkCalendar:
    """The working-day calendar as an administrator last left it."""
    entries = [
        CalendarEntry(day=row.day, is_working_day=row.is_working_day, name=row.name)
        for row in session.scalars(select(CalendarDay))
    ]
    years = set(session.scalars(select(CalendarYear.year)))
    return WorkCalendar.from_entries(entries, years)


@dataclass(frozen=True)
class Counting:
    """What deadline arithmetic needs besides the dates: the calendar and local time rules."""

    calendar: WorkCalendar
    zone: ZoneInfo
    closing: time

    @classmethod
    def load(cls, session: AnySession) -> Counting:
        return cls(load_calendar(session), local_zone(), close_of_business())


def local_text(moment: datetime) -> str:
    """`moment` in local time as messages write it: 2026-12-15 17:30."""
    return f"{moment.astimezone(local_zone()):%Y-%m-%d %H:%M}"


def deadlines_for(
    session: AnySession, case_type: str, received_at: datetime, counting: Counting | None = None
) -> CaseDeadlines:
    """First-response and resolution deadlines for a case of `case_type` received now."""
    policy = session.scalar(select(SlaPolicy).where(SlaPolicy.case_type == case_type))
    if policy is None:
        raise LookupError(f"no SLA policy for {case_type!r}: run `flask demo seed` or seed data")
    counting = counting or Counting.load(session)
    calendar, zone, closing = counting.calendar, counting.zone, counting.closing
    return CaseDeadlines(
        first_response=compute_due(
            received_at,
            policy.ack_amount,
            Unit(policy.ack_unit),
            calendar,
            tz=zone,
            close_of_business=closing,
        ),
        resolution=compute_due(
            received_at,
            policy.resolve_amount,
            Unit(policy.resolve_unit),
            calendar,
            tz=zone,
            close_of_business=closing,
        ),
    )


def seed_policies(session: AnySession) -> int:
    """Insert the default policy for every case type that has none; returns how many."""
    existing = set(session.scalars(select(SlaPolicy.case_type)))
    added = 0
    for case_type, defaults in DEFAULT_POLICIES.items():
        if case_type in existing:
            continue
        session.add(
            SlaPolicy(
                case_type=case_type,
                ack_amount=defaults.ack_amount,
                ack_unit=str(defaults.ack_unit),
                resolve_amount=defaults.resolve_amount,
                resolve_unit=str(defaults.resolve_unit),
                max_extensions=defaults.max_extensions,
                extension_amount=defaults.extension_amount,
            )
        )
        added += 1
    session.flush()
    return added


def seed_calendar(session: AnySession, years: range) -> set[int]:
    """Load the years the chinese-calendar package knows, keeping administrators' edits."""
    entries, known = from_chinese_calendar(years)
    loaded = set(session.scalars(select(CalendarYear.year)))
    for entry in entries:
        edited = session.get(CalendarDay, entry.day)
        if entry.day.year in loaded or edited is not None:
            continue
        session.add(
            CalendarDay(day=entry.day, is_working_day=entry.is_working_day, name=entry.name)
        )
    for year in known - loaded:
        session.add(CalendarYear(year=year))
    session.flush()
    return known
