"""Twilio's status callbacks: delivery receipts for texts and the outcome of calls.

Receipts arrive late, twice, or out of order (Twilio retries, and "sent" may overtake
"delivered" on the way). The status therefore only moves forward: a receipt that does not
advance the message (by `STATUS_RANK`, then by how far along Twilio's own steps it is) changes
nothing, so a duplicate can never start a second fallback. The row is locked while it is read
and written (SELECT ... FOR UPDATE) so two callbacks for one message take turns.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification, NotificationStatus
from portal.models.base import AnySession
from portal.models.notification import STATUS_RANK
from portal.services.fallback import fall_back
from portal.webhooks import bp

log = logging.getLogger(__name__)

S = NotificationStatus
#: Twilio's MessageStatus values, each with our status and its place among Twilio's steps.
SMS_STATUSES: dict[str, tuple[NotificationStatus, int]] = {
    "accepted": (S.SENT, 0),
    "scheduled": (S.SENT, 0),
    "queued": (S.SENT, 1),
    "sending": (S.SENT, 2),
    "sent": (S.SENT, 3),
    "delivered": (S.DELIVERED, 4),
    "read": (S.DELIVERED, 5),
    "undelivered": (S.FAILED, 4),
    "failed": (S.FAILED, 4),
    "canceled": (S.FAILED, 4),
}
#: Twilio's CallStatus values: a completed call was answered (by a person or a machine that
#: took the message), anything else final means nobody heard it.
CALL_STATUSES: dict[str, tuple[NotificationStatus, int]] = {
    "queued": (S.SENT, 1),
    "initiated": (S.SENT, 2),
    "ringing": (S.SENT, 3),
    "in-progress": (S.SENT, 4),
    "completed": (S.DELIVERED, 5),
    "busy": (S.FAILED, 5),
    "no-answer": (S.FAILED, 5),
    "failed": (S.FAILED, 5),
    "canceled": (S.FAILED, 5),
}


@bp.post("/status")
def status_callback() -> ResponseReturnValue:
    """Record a receipt; always 204 (an unknown sid is not Twilio's problem to retry)."""
    form = request.form
    if form.get("MessageSid"):
        ref, raw, table = form["MessageSid"], form.get("MessageStatus", ""), SMS_STATUSES
    else:
        ref, raw, table = form.get("CallSid", ""), form.get("CallStatus", ""), CALL_STATUSES
    if ref and raw in table:
        record_receipt(
            db.session,
            ref,
            raw,
            error_code=form.get("ErrorCode") or None,
            table=table,
            now=datetime.now(UTC),
        )
        db.session.commit()
    else:
        log.warning("status callback ignored", extra={"ref": ref, "status": raw})
    return "", 204


def record_receipt(
    session: AnySession,
    ref: str,
    raw_status: str,
    *,
    error_code: str | None,
    table: dict[str, tuple[NotificationStatus, int]],
    now: datetime,
) -> Notification | None:
    """Move the message with provider reference `ref` forward to `raw_status`, if it is ahead.

    A message that fails here starts the fallback chain (the next channel, a guardian, then a
    call-back task); since a failed message can never move again, that happens once.
    """
    notification = session.scalars(
        select(Notification)
        .where(Notification.provider_ref == ref)
        .order_by(Notification.id)
        .limit(1)
        .with_for_update()
    ).first()
    if notification is None:
        return None
    status, step = table[raw_status]
    if not _moves_forward(notification, status, step, table):
        return notification
    notification.status = status
    notification.provider_status = raw_status
    notification.status_at = now
    if error_code:
        notification.error_code = error_code[:16]
    if status == S.DELIVERED:
        notification.delivered_at = now
    elif status == S.FAILED:
        fall_back(session, notification, reason=raw_status, now=now)
    log.info(
        "receipt",
        extra={"notification_id": notification.id, "status": raw_status, "error": error_code},
    )
    return notification


def _moves_forward(
    notification: Notification,
    status: NotificationStatus,
    step: int,
    table: dict[str, tuple[NotificationStatus, int]],
) -> bool:
    current = STATUS_RANK[notification.status]
    if STATUS_RANK[status] != current:
        return STATUS_RANK[status] > current
    if status != notification.status or status == S.FAILED:
        # Delivered vs failed: the first final word stands; a failure has nothing further.
        return False
    known = table.get(notification.provider_status or "")
    return known is None or step > known[1]
