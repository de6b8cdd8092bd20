"""Who may see what: every query returning residents, cases or notifications for a user.

Views never filter by hand; they start from these selects. A resident sees themselves; a
guardian or agent sees the residents granted to them while the grant is valid; staff see their
area's subtree; an institution sees the residents assigned to it; an administrator sees all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from portal.models import (
    Area,
    AuditEvent,
    Case,
    Guardianship,
    Notification,
    Plan,
    PlanItem,
    Resident,
    Role,
    User,
)
from portal.models.base import AnySession
from portal.services.reference.area_tree import area_tree, in_subtree


def area_prefix(session: AnySession, user: User) -> str | None:
    """The code prefix a staff user's scope covers; None when they have no area."""
    if user.area_id is None:
        return None
    area = session.get(Area, user.area_id)
    return area.prefix if area else None


def guarded_resident_ids(user: User, today: date) -> Select[int]:
    """Residents a guardian or agent may act for today."""
    return select(Guardianship.resident_id).where(
        Guardianship.guardian_user_id == user.id,
        Guardianship.revoked_at.is_(None),
        Guardianship.valid_from <= today,
        or_(Guardianship.expires_on.is_(None), Guardianship.expires_on >= today),
    )


def visible_resident_ids(session: AnySession, user: User, today: date) -> Select[int]:
    """A select of the ids of every resident `user` may see."""
    return select(Resident.id).where(resident_scope(session, user, today))


def resident_scope(session: AnySession, user: User, today: date) -> ColumnElement[bool]:
    """The condition on `Resident` rows that `user` may see (to filter a select of them
    directly, without a subquery of ids)."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.RESIDENT:
        return Resident.id == user.resident_id
    if user.role == Role.GUARDIAN:
        return Resident.id.in_(guarded_resident_ids(user, today))
    if user.role == Role.INSTITUTION:
        if user.institution_id is None:
            return false()
        return Resident.institution_id == user.institution_id
    if user.area_id is None:
        return false()
    return in_subtree(session, Resident.area_id, user.area_id)


def residents_for(session: AnySession, user: User, today: date) -> Select[Resident]:
    return select(Resident).where(resident_scope(session, user, today))


def cases_for(session: AnySession, user: User, today: date) -> Select[Case]:
    """Cases `user` may see: staff by the case's area, everyone else by its resident."""
    query = select(Case)
    if user.role == Role.ADMIN:
        return query
    if user.is_staff and user.role != Role.INSTITUTION:
        if user.area_id is None:
            return query.where(false())
        # The area ids from the tree in memory, so the cases are found by their area_id index.
        return query.where(in_subtree(session, Case.area_id, user.area_id))
    return query.where(Case.resident_id.in_(visible_resident_ids(session, user, today)))


#: Below this share of all areas, a scope's messages are found from its residents (see
#: notifications_for).
SMALL_SCOPE_SHARE = 0.01


def notifications_for(session: AnySession, user: User, today: date) -> Select[Notification]:
    """Messages to the residents `user` may see.

    Read newest first, a county's messages are found by walking back through all messages
    and keeping those in scope (1 in 30 at a province's size). A township's are 1 in 450, so
    the walk is long, and PostgreSQL still takes it: there, the scope's residents are read
    first (`MATERIALIZED`, so the planner cannot turn it back into the walk) and their
    messages found by index. 230 ms became 40 ms for a township at 1 M residents.
    """
    query = select(Notification)
    if user.role == Role.ADMIN:
        return query
    residents = visible_resident_ids(session, user, today)
    if _small_area_scope(session, user):
        scope = residents.cte("scope").prefix_with("MATERIALIZED")
        return query.where(Notification.resident_id.in_(select(scope.c.id)))
    return query.where(Notification.resident_id.in_(residents))


def _small_area_scope(session: AnySession, user: User) -> bool:
    if user.area_id is None or session.get_bind().dialect.name != "postgresql":
        return False
    tree = area_tree(session)
    return len(tree.subtree_ids(user.area_id)) < SMALL_SCOPE_SHARE * len(tree.nodes)


def in_area(session: AnySession, area_id: int) -> ColumnElement[bool]:
    """A filter for cases inside the area's subtree (to narrow a `cases_for` select)."""
    return in_subtree(session, Case.area_id, area_id)


def in_staff_areas(
    session: AnySession, user: User, column: InstrumentedAttribute[int]
) -> ColumnElement[bool]:
    """`column` (an area id) inside the staff user's areas: their own and below, every area
    for administrators, none for institution staff (they work by institution)."""
    if user.role == Role.ADMIN:
        return true()
    if user.area_id is None or user.role == Role.INSTITUTION:
        return false()
    return in_subtree(session, column, user.area_id)


def areas_for(session: AnySession, user: User) -> Select[Area]:
    """Areas inside the user's scope (their own and below; every area for administrators)."""
    return select(Area).where(Area.valid_to.is_(None), in_staff_areas(session, user, Area.id))


def cases_in_area(session: AnySession, area: Area) -> Select[Case]:
    """Cases inside `area`'s subtree, for a system (an Open311 key) scoped to that area."""
    return select(Case).where(in_subtree(session, Case.area_id, area.id))


def residents_in_area(session: AnySession, area: Area) -> Select[Resident]:
    """Residents inside `area`'s subtree, for a system (an Open311 key) scoped to that area."""
    return select(Resident).where(in_subtree(session, Resident.area_id, area.id))


def audit_events_for(session: AnySession, user: User) -> Select[AuditEvent]:
    """Audit events `user` may browse: all for administrators; for supervisors, the events
    about residents in their area subtree; nothing for anyone else."""
    query = select(AuditEvent)
    if user.role == Role.ADMIN:
        return query
    if user.role != Role.SUPERVISOR or user.area_id is None:
        return query.where(false())
    in_scope = select(Resident.id).where(in_subtree(session, Resident.area_id, user.area_id))
    return query.where(AuditEvent.resident_id.in_(in_scope))


#: URL parameters that name what a refused request asked for, the most specific first.
ASKED_FOR = (
    ("case_id", "case"),
    ("plan_item_id", "plan_item"),
    ("item_id", "plan_item"),
    ("plan_id", "plan"),
    ("resident_id", "resident"),
    ("user_id", "user"),
    ("key_id", "api_key"),
    ("call_back_id", "call_back"),
    ("run_id", "import_run"),
    ("sample_id", "supervision_sample"),
    ("round_id", "supervision_round"),
    ("policy_id", "sla_policy"),
)


def record_refusal(
    session: AnySession,
    *,
    actor_id: int,
    asked: Mapping[str, object],
    request: Mapping[str, str | None],
    ip_address: str | None,
    now: datetime,
) -> AuditEvent:
    """Audit a request answered 404 because its object is outside the user's scope, their
    role may not use the page, or the object does not exist (the console tells these apart to
    nobody): `access.refused`, naming the object asked for (`asked`: the URL's parameters)
    and the request (`request`: endpoint, method, path).

    The row carries the resident the object belongs to, when it exists, so the supervisors of
    that resident's area see who asked for it from outside. Flushes, never commits.
    """
    object_type, object_id = next(
        ((kind, asked[name]) for name, kind in ASKED_FOR if isinstance(asked.get(name), int)),
        (None, None),
    )
    event = AuditEvent(
        actor_id=actor_id,
        action="access.refused",
        resident_id=_owner(session, object_type, object_id, asked),
        object_type=object_type,
        object_id=object_id,
        ip_address=ip_address,
        data={
            **request,
            "asked": {k: v if isinstance(v, int) else str(v) for k, v in asked.items()},
        },
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event


def _owner(
    session: AnySession, object_type: str | None, object_id: object, asked: Mapping[str, object]
) -> int | None:
    """The resident a refused object belongs to, if it exists."""
    if object_type == "case":
        return session.scalar(select(Case.resident_id).where(Case.id == object_id))
    if object_type == "plan_item":
        return session.scalar(
            select(Plan.resident_id)
            .join(PlanItem, PlanItem.plan_id == Plan.id)
            .where(PlanItem.id == object_id)
        )
    if object_type == "plan":
        return session.scalar(select(Plan.resident_id).where(Plan.id == object_id))
    resident_id = asked.get("resident_id")
    if isinstance(resident_id, int):
        return session.scalar(select(Resident.id).where(Resident.id == resident_id))
    return None
