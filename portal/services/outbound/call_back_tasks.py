"""The staff list of call-back tasks: open ones in the user's areas, and marking one called.

A task is seen and closed only by staff whose area scope holds the resident's area
(`access.in_staff_areas`); closing it is audited like any staff change, with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update

from portal.models import AuditEvent, Case, Resident, User
from portal.models.base import AnySession
from portal.models.notification import CallBack
from portal.services.people.access import in_staff_areas

#: How long a task marked called stays listed under the open ones.
DONE_SHOWN_FOR = timedelta(days=7)


@dataclass(frozen=True)
class Task:
    """One row of the page: the task, whom to call, and the case it is about (if any)."""

    call_back: CallBack
    resident: Resident
    case: Case | None


def call_backs_for(session: AnySession, user: User) -> Select[CallBack]:
    """Call-back tasks for residents in the areas `user` may work in."""
    return select(CallBack).where(in_staff_areas(session, user, CallBack.area_id))


def open_count(session: AnySession, user: User) -> int:
    """How many tasks in the user's areas wait for a call (for the menu)."""
    query = call_backs_for(session, user).where(CallBack.done_at.is_(None))
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def open_tasks(session: AnySession, user: User) -> list[Task]:
    """Tasks waiting for a call, oldest first."""
    query = call_backs_for(session, user).where(CallBack.done_at.is_(None))
    return _tasks(session, query.order_by(CallBack.created_at, CallBack.id))


def recently_done(session: AnySession, user: User, now: datetime) -> list[Task]:
    """Tasks marked called within `DONE_SHOWN_FOR`, most recent first."""
    query = call_backs_for(session, user).where(CallBack.done_at >= now - DONE_SHOWN_FOR)
    return _tasks(session, query.order_by(CallBack.done_at.desc(), CallBack.id.desc()))


def _tasks(session: AnySession, query: Select[CallBack]) -> list[Task]:
    rows = session.execute(
        query.add_columns(Resident, Case)
        .join(Resident, CallBack.resident_id == Resident.id)
        .outerjoin(Case, CallBack.case_id == Case.id)
    )
    return [Task(call_back, resident, case) for call_back, resident, case in rows]


def task_for(session: AnySession, user: User, call_back_id: int) -> CallBack | None:
    """The task if it is in the user's areas; None otherwise (as if it did not exist)."""
    return session.scalar(call_backs_for(session, user).where(CallBack.id == call_back_id))


def mark_called(
    session: AnySession,
    task: CallBack,
    *,
    actor: User,
    note: str | None,
    now: datetime,
    ip_address: str | None = None,
) -> bool:
    """Close the task as called, audited `call_back.done`; False when it was already closed."""
    # One conditional update, so two people marking the same task at once close it once.
    closed = session.execute(
        update(CallBack)
        .where(CallBack.id == task.id, CallBack.done_at.is_(None))
        .values(done_at=now, done_by_id=actor.id, note=note or None)
        .execution_options(synchronize_session=False)
    )
    session.refresh(task)
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(
        AuditEvent(
            actor_id=actor.id,
            action="call_back.done",
            resident_id=task.resident_id,
            object_type="call_back",
            object_id=task.id,
            data={"reason": task.reason, "case_id": task.case_id, "note": bool(task.note)},
            ip_address=ip_address,
            created_at=now,
        )
    )
    session.flush()
    return True
