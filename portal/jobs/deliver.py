"""deliver(notification_id): claim a queued message, render it, hand it to the provider."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from portal.clients.messaging import MessagingClient, ProviderError, messaging_client
from portal.clients.twilio_provider import AmbiguousSend, OptedOut, TwilioClient
from portal.extensions import db
from portal.models import MessageChannel, Notification, NotificationStatus, Resident
from portal.services.messages import IMMEDIATE, SECRET_PARAMS, redacted, render
from portal.services.notifications import quiet_hours_resume
from portal.services.sla import local_zone

log = logging.getLogger(__name__)


def deliver(notification_id: int) -> None:
    """Send one notification once. Safe to run twice: only a `created` row is claimed."""
    now = datetime.now(UTC)
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .where(Notification.status == NotificationStatus.CREATED)
        .where((Notification.send_after.is_(None)) | (Notification.send_after <= now))
        .values(status=NotificationStatus.SENDING, attempts=Notification.attempts + 1)
    )
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return
    notification = db.session.get(Notification, notification_id)
    assert notification is not None
    resident = (
        db.session.get(Resident, notification.resident_id) if notification.resident_id else None
    )
    immediate = notification.template in IMMEDIATE
    if (
        resident is not None
        and not immediate
        and _held_for_quiet_hours(notification, resident, now)
    ):
        db.session.commit()
        return
    template, language = notification.template, notification.language
    body = render(template, notification.params, language, notification.channel.value)
    secret = template in SECRET_PARAMS
    if secret:
        # The code leaves only through the provider: what is stored shows dots.
        notification.params = redacted(template, notification.params)
        notification.body = render(
            template, notification.params, language, notification.channel.value
        )
    else:
        notification.body = body
    db.session.commit()  # never hold a transaction open across the provider call
    _send(notification, body, retry=not secret)


def _held_for_quiet_hours(notification: Notification, resident: Resident, now: datetime) -> bool:
    resume = quiet_hours_resume(
        now, resident.quiet_hours_start, resident.quiet_hours_end, local_zone()
    )
    if resume is None:
        return False
    notification.status = NotificationStatus.CREATED
    notification.send_after = resume
    return True


#: `last_error` of a send whose answer never came: the next try asks Twilio first.
AMBIGUOUS = "ambiguous: "


def _send(notification: Notification, body: str, *, retry: bool) -> None:
    """Hand `body` to the provider. Without `retry` (a secret already redacted), fail for good."""
    client = messaging_client()
    to = notification.to_phone or ""
    try:
        ref = _already_sent(client, notification, body)
        if ref is None and notification.channel == MessageChannel.VOICE:
            # A secret (a sign-in code) is never stored, so its call reads the text inline.
            ref = client.place_call(
                to,
                body,
                notification.language,
                notification_id=None if not retry else notification.id,
            )
        elif ref is None:
            ref = client.send_sms(to, body)
    except OptedOut as error:
        # The carrier says the person replied STOP: recorded, never retried.
        notification.status = NotificationStatus.SKIPPED
        notification.skip_reason = "opted_out_at_provider"
        notification.last_error = str(error)
        db.session.commit()
        return
    except ProviderError as error:
        prefix = AMBIGUOUS if isinstance(error, AmbiguousSend) else ""
        notification.last_error = prefix + str(error)
        # A retryable failure goes back to the queue for the sweep; a permanent one is final.
        notification.status = (
            NotificationStatus.CREATED if error.retryable and retry else NotificationStatus.FAILED
        )
        db.session.commit()
        log.warning("send failed", extra={"notification_id": notification.id})
        return
    notification.status = NotificationStatus.SENT
    notification.provider = client.name
    notification.provider_ref = ref
    notification.sent_at = datetime.now(UTC)
    db.session.commit()


def _already_sent(client: MessagingClient, notification: Notification, body: str) -> str | None:
    """After an ambiguous try, the provider's reference of the SMS if it did go out.

    Twilio's Messages API has no idempotency key, so the message list is the only way to know.
    """
    if not (notification.last_error or "").startswith(AMBIGUOUS):
        return None
    if notification.channel != MessageChannel.SMS or not isinstance(client, TwilioClient):
        return None
    since = notification.created_at - timedelta(minutes=1)
    return client.sent_to_since(notification.to_phone or "", body, since)
