"""Messages to staff about their cases: SLA warnings and escalations.

They go by SMS like residents' messages, but wait for staff working hours (08:30 to close of
business on a working day of the calendar) instead of the resident's quiet hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from portal.models import Area, Case, MessageChannel, Notification, Role, User
from portal.models.base import AnySession
from portal.services.outbound.notifications import queue_message
from portal.services.sla.sla import Counting
from portal.services.sla.sla_clocks import SweptCase

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
            **staff_message(
                user,
                template=template,
                params=params,
                dedupe_key=dedupe_key,
                case_id=case.id,
                now=now,
                send_after=send_after,
            ),
        )
        for user in users
    ]


def staff_message(
    user: User,
    *,
    template: str,
    params: dict[str, Any],
    dedupe_key: str,
    case_id: int,
    now: datetime,
    send_after: datetime | None,
) -> dict[str, Any]:
    """The columns of one SMS to `user` about a case."""
    return {
        "dedupe_key": f"{dedupe_key}:user{user.id}",
        "user_id": user.id,
        "case_id": case_id,
        "channel": MessageChannel.SMS,
        "to_phone": user.phone,
        "template": template,
        "params": params,
        "language": user.language,
        "send_after": send_after,
        "created_at": now,
    }


@dataclass
class StaffDirectory:
    """The staff a batch of cases may need to tell, loaded in one query (`load_staff`)."""

    by_id: dict[int, User]
    by_area: dict[int, list[User]]

    def handlers_of(self, case: SweptCase) -> list[User]:
        """As `handlers_of`: the active assignee, or else the area's handlers."""
        if case.assignee_id is not None and case.assignee_id in self.by_id:
            return [self.by_id[case.assignee_id]]
        return self.of_area(case.area_id, AREA_HANDLERS)

    def escalation_contacts(self, area_id: int) -> list[User]:
        return self.of_area(area_id, ESCALATION_ROLES)

    def of_area(self, area_id: int, roles: Iterable[Role]) -> list[User]:
        wanted = set(roles)
        return [user for user in self.by_area.get(area_id, []) if user.role in wanted]


def load_staff(
    session: AnySession, *, handled: Iterable[SweptCase] = (), escalated_to: Iterable[int] = ()
) -> StaffDirectory:
    """The active staff to tell about the `handled` cases' deadlines (their assignees and
    their areas' handlers) and about escalations to the `escalated_to` areas, in one query."""
    cases = list(handled)
    assignees = {case.assignee_id for case in cases if case.assignee_id is not None}
    handler_areas = {case.area_id for case in cases}
    escalation_areas = set(escalated_to)
    wanted: list[ColumnElement[bool]] = []
    if assignees:
        wanted.append(User.id.in_(sorted(assignees)))
    if handler_areas:
        wanted.append(User.area_id.in_(sorted(handler_areas)) & User.role.in_(AREA_HANDLERS))
    if escalation_areas:
        wanted.append(User.area_id.in_(sorted(escalation_areas)) & User.role.in_(ESCALATION_ROLES))
    if not wanted:
        return StaffDirectory({}, {})
    users = session.scalars(select(User).where(or_(*wanted), User.active).order_by(User.id))
    directory = StaffDirectory({}, {})
    for user in users:
        if user.id in assignees:
            directory.by_id[user.id] = user
        if user.area_id is not None:
            directory.by_area.setdefault(user.area_id, []).append(user)
    return directory
