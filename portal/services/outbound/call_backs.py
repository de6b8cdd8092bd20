"""Call-back tasks: a person phones a resident whom no message reached, or who asked (key 0)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.models import Case, Notification, Resident
from portal.models.base import AnySession
from portal.models.notification import CallBack

UNREACHABLE = "unreachable"  # the fallback chain ran out
ASKED = "asked"  # the resident pressed 0 on a call
REASONS = (UNREACHABLE, ASKED)


def request_call_back(
    session: AnySession,
    resident: Resident,
    *,
    reason: str,
    dedupe_key: str,
    now: datetime,
    case: Case | None = None,
    notification: Notification | None = None,
) -> CallBack:
    """Add a call-back task for the resident's area once per `dedupe_key` (returns the task)."""
    if reason not in REASONS:
        raise ValueError(f"unknown call-back reason {reason!r}")
    existing = session.scalars(select(CallBack).where(CallBack.dedupe_key == dedupe_key)).first()
    if existing is not None:
        return existing
    task = CallBack(
        dedupe_key=dedupe_key,
        resident_id=resident.id,
        area_id=resident.area_id,
        case_id=case.id if case else (notification.case_id if notification else None),
        notification_id=notification.id if notification else None,
        reason=reason,
        created_at=now,
    )
    session.add(task)
    session.flush()
    return task
