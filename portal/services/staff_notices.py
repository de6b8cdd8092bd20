"""Messages to staff about their cases: SLA warnings and escalations.

They go by SMS like residents' messages, but wait for staff working hours (08:30 to close of
business on a working day of the calendar) instead of the resident's quiet hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from portal.models import Area, Case, MessageChannel, Notification, Role, User
from portal.models.base import AnySession
from portal.services.notifications import queue_message
from portal.services.sla import Counting

STAFF_DAY_START = time(8, 30)
#: Roles that handle cases in their own area (administrators are not paged).
AREA_HANDLERS = (Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF)
#: Roles that hear about escalations to their area.
ESCALATION_ROLES = (Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.SUPERVISOR)


def working_hours_resume(now: datetime, counting: Counting) -> datetime | None:
    """When a staff message held at `now` may go; None when it is working hours now."""
    local = now.astimezone(counting.zone)
    day = local.date()
    if counting.calendar.is_working_day(day) and STAFF_DAY_START <= local.time() < counting.closing:
        return None
    if counting.calendar.is_working_day(day) and local.time() < STAFF_DAY_START:
        return datetime.combine(day, STAFF_DAY_START, tzinfo=counting.zone)
    day += timedelta(days=1)
    while not counting.calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, STAFF_DAY_START, tzinfo=counting.zone)


def handlers_of(session: AnySession, case: Case) -> list[User]:
    """Who is told about a case's deadline: its assignee, or else its area's handlers."""
    if case.assignee_id is not None:
        assignee = session.get(User, case.assignee_id)
        if assignee is not None and assignee.active:
            return [assignee]
    return staff_of_area(session, case.area_id, AREA_HANDLERS)


def staff_of_area(session: AnySession, area_id: int, roles: Iterable[Role]) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.area_id == area_id, User.role.in_(list(roles)), User.active)
            .order_by(User.id)
        )
    )


def escalation_contacts(session: AnySession, area: Area) -> list[User]:
    return staff_of_area(session, area.id, ESCALATION_ROLES)


def notify_staff(
    session: AnySession,
    users: Iterable[User],
    *,
    template: str,
    params: dict[str, Any],
    dedupe_key: str,
    case: Case,
    now: datetime,
    counting: Counting,
) -> list[Notification]:
    """Queue one SMS per staff member, held until working hours."""
    send_after = working_hours_resume(now, counting)
    return [
        queue_message(
            session,
            dedupe_key=f"{dedupe_key}:user{user.id}",
            user_id=user.id,
            case_id=case.id,
            channel=MessageChannel.SMS,
            to_phone=user.phone,
            template=template,
            params=params,
            language=user.language,
            send_after=send_after,
            created_at=now,
        )
        for user in users
    ]
