"""Cases: filing, and the append-only events that are their history.

Services flush, never commit: the caller commits once, so the case, its first event and its
acknowledgement message are one transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.models import (
    Case,
    CaseChannel,
    CaseEvent,
    CaseStatus,
    CaseType,
    EventKind,
    NeedItem,
    Resident,
    User,
)
from portal.models.base import AnySession
from portal.services.outbound.notifications import notify_resident
from portal.services.sla.sla import Counting, deadlines_for, local_text, local_zone
from portal.services.sla.sla_clocks import reschedule


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a case event."""


@event.listens_for(Session, "before_flush")
def _case_events_are_append_only(session: Session, *_: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, CaseEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError("case events are append-only")


def file_case(
    session: AnySession,
    *,
    resident: Resident,
    filed_by: User | None,
    case_type: CaseType,
    description: str,
    now: datetime,
    need_item: NeedItem | None = None,
    contact_time: str | None = None,
    channel: CaseChannel = CaseChannel.WEB,
    language: str = "zh_CN",
) -> Case:
    """Record a new case with its first event, deadlines and the resident's acknowledgement."""
    counting = Counting.load(session)
    deadlines = deadlines_for(session, case_type.value, now, counting)
    case = Case(
        # Replaced by the readable reference once the id is known (same transaction).
        reference=f"tmp-{uuid.uuid4().hex[:16]}",
        type=case_type,
        status=CaseStatus.NEW,
        resident_id=resident.id,
        area_id=resident.area_id,
        filed_by_id=filed_by.id if filed_by else None,
        channel=channel,
        need_item_id=need_item.id if need_item else None,
        description=description,
        contact_time=contact_time or None,
        language=language,
        first_response_due_at=deadlines.first_response.due_at,
        resolve_due_at=deadlines.resolution.due_at,
        calendar_unknown=deadlines.calendar_unknown,
        clock_started_at=now,
        created_at=now,
    )
    session.add(case)
    session.flush()
    case.reference = make_reference(case.id, now)
    reschedule(session, case, counting, written=set())  # a new case has no SLA marks yet
    append_event(
        session,
        case,
        EventKind.CREATED,
        actor=filed_by,
        now=now,
        body=description,
        on_behalf_of=resident if filed_by and filed_by.resident_id != resident.id else None,
    )
    _acknowledge(session, resident, case, deadlines.resolution.due_at, now)
    return case


def _acknowledge(
    session: AnySession, resident: Resident, case: Case, due: datetime, now: datetime
) -> None:
    """Tell the resident the case was received: its reference and when the answer is due."""
    notify_resident(
        session,
        resident,
        template="case_ack",
        params={
            "case_type": case.type.value,
            "reference": case.reference,
            "due": local_text(due),
        },
        dedupe_key=f"case_ack:{case.id}",
        now=now,
        case=case,
    )


def make_reference(case_id: int, now: datetime) -> str:
    """A short all-digit reference a resident can read out on the phone: YYMM + 5 digits."""
    return f"{now.astimezone(local_zone()):%y%m}{case_id:05d}"


def append_event(
    session: AnySession,
    case: Case,
    kind: EventKind,
    *,
    now: datetime,
    actor: User | None = None,
    body: str | None = None,
    public: bool = True,
    on_behalf_of: Resident | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one event to `case`'s history."""
    row = CaseEvent(
        case_id=case.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
        public=public,
        body=body,
        data=data or {},
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
