"""Delivery receipts: what the provider says became of a message, applied once and in order.

Receipts arrive late, twice, out of order, or before the send that made the message has even
recorded the provider's reference. So:
- a receipt names its message by our id (in the callback address), not only by the provider's
  reference, and a message that has no reference yet takes the receipt's;
- the status only moves forward: a receipt that does not advance the message (by
  `STATUS_RANK`, then by how far along the provider's own steps it is) changes nothing, so a
  duplicate can never start a second fallback; the row is locked while it is read and written;
- a receipt that matches no message (an address without our id, for a reference not yet
  recorded; or the reference of a second send of one message) is kept, applied by the receipt
  sweep once a message has that reference, and listed in the staff outbox while it has none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.models import Notification, NotificationStatus, ProviderReceipt
from portal.models.base import AnySession
from portal.models.notification import STATUS_RANK
from portal.services.outbound.fallback import fall_back

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
TABLES = {"sms": SMS_STATUSES, "call": CALL_STATUSES}
#: A kept receipt still unmatched after this long is shown to staff in the outbox.
UNMATCHED_AFTER = timedelta(minutes=30)
BATCH = 500


@dataclass(frozen=True)
class Receipt:
    """One receipt as the provider sent it."""

    kind: str  # sms, call
    ref: str
    raw_status: str
    error_code: str | None = None
    named_id: int | None = None  # the message our callback address named


def take_receipt(session: AnySession, receipt: Receipt, *, now: datetime) -> Notification | None:
    """Apply `receipt` to its message, or keep it for later; the message, if one took it."""
    if receipt.raw_status not in TABLES[receipt.kind]:
        log.warning("receipt with an unknown status ignored", extra={"status": receipt.raw_status})
        return None
    notification = _named(session, receipt) or _by_ref(session, receipt.ref)
    if notification is None:
        _keep(session, receipt)
        return None
    apply(session, notification, receipt, now=now)
    return notification


def _named(session: AnySession, receipt: Receipt) -> Notification | None:
    """The message the address named, if that send is the one the receipt is about."""
    if receipt.named_id is None:
        return None
    notification = session.scalars(
        select(Notification).where(Notification.id == receipt.named_id).with_for_update()
    ).first()
    if notification is None:
        return None
    if notification.provider_ref not in (None, receipt.ref):
        # A second send of one message (the provider has two): never mixed into the first.
        log.warning(
            "receipt for another send of a message",
            extra={"notification_id": notification.id, "ref": receipt.ref},
        )
        return None
    return notification


def _by_ref(session: AnySession, ref: str) -> Notification | None:
    return session.scalars(
        select(Notification)
        .where(Notification.provider_ref == ref)
        .order_by(Notification.id)
        .limit(1)
        .with_for_update()
    ).first()


def _keep(session: AnySession, receipt: Receipt) -> None:
    """Store an unmatched receipt once (a repeat of the same one is dropped by the key)."""
    try:
        with session.begin_nested():
            session.add(
                ProviderReceipt(
                    provider_ref=receipt.ref,
                    kind=receipt.kind,
                    raw_status=receipt.raw_status,
                    error_code=(receipt.error_code or None) and receipt.error_code[:16],
                    named_id=receipt.named_id,
                )
            )
    except IntegrityError:
        return
    log.info("receipt kept until its message is known", extra={"ref": receipt.ref})


def apply(
    session: AnySession, notification: Notification, receipt: Receipt, *, now: datetime
) -> None:
    """Move `notification` forward to the receipt's status, if the receipt is ahead.

    A message that fails here starts the fallback chain (the next channel, a guardian, then a
    call-back task); since a failed message can never move again, that happens once.
    """
    table = TABLES[receipt.kind]
    if notification.provider_ref is None:
        # The receipt overtook the send's own answer: its reference is the message's.
        notification.provider_ref = receipt.ref
    status, step = table[receipt.raw_status]
    if not _moves_forward(notification, status, step, table):
        return
    if notification.sent_at is None:
        notification.sent_at = now
    notification.status = status
    notification.provider_status = receipt.raw_status
    notification.status_at = now
    if receipt.error_code:
        notification.error_code = receipt.error_code[:16]
    if status == S.DELIVERED:
        notification.delivered_at = now
    elif status == S.FAILED:
        fall_back(session, notification, reason=receipt.raw_status, now=now)
    log.info(
        "receipt",
        extra={
            "notification_id": notification.id,
            "status": receipt.raw_status,
            "error": receipt.error_code,
        },
    )


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


def apply_kept(session: AnySession, *, now: datetime) -> int:
    """Apply kept receipts whose message now has their reference; how many were applied."""
    kept = session.scalars(
        select(ProviderReceipt)
        .join(Notification, Notification.provider_ref == ProviderReceipt.provider_ref)
        .where(ProviderReceipt.applied_at.is_(None))
        .order_by(ProviderReceipt.id)
        .limit(BATCH)
    ).all()
    for row in kept:
        notification = _by_ref(session, row.provider_ref)
        if notification is not None:
            receipt = Receipt(row.kind, row.provider_ref, row.raw_status, row.error_code)
            apply(session, notification, receipt, now=now)
        row.applied_at = now
    return len(kept)


def unmatched(session: AnySession, *, now: datetime, limit: int = 20) -> list[ProviderReceipt]:
    """Kept receipts that have matched no message for `UNMATCHED_AFTER`, newest first."""
    return list(
        session.scalars(
            select(ProviderReceipt)
            .where(
                ProviderReceipt.applied_at.is_(None),
                ProviderReceipt.created_at <= now - UNMATCHED_AFTER,
            )
            .order_by(ProviderReceipt.id.desc())
            .limit(limit)
        )
    )
