"""deliver(notification_id): claim a queued message, render it, hand it to the provider.

The row is claimed atomically (`created` → `sending`), so a job run twice sends once. Opt-outs
and quiet hours are checked again at send time (they may have changed since the row was
written), and the database session is closed while the provider is called: a slow provider
must not hold a connection, let alone a transaction.

What the provider says decides what happens next:
- sent: `sent` (the console provider, which has no receipts, also records a simulated one);
- opted out at the carrier (Twilio 21610): `skipped`, and the resident is marked opted out;
- retryable (429, 5xx, unreachable, an ambiguous timeout): back to `created` with a jittered,
  growing `send_after`, at most `MAX_ATTEMPTS` tries; then as permanent;
- permanent: `failed`, with the provider's error code, and the fallback chain's next step.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from rq import get_current_job
from sqlalchemy import select, update

from portal.clients.messaging import MessagingClient, ProviderError, messaging_client
from portal.clients.twilio_provider import AmbiguousSend, OptedOut, TwilioClient
from portal.extensions import db
from portal.jobs.queue import QUEUE_NOTIFY, after_commit, redis_connection
from portal.models import Channel, MessageChannel, Notification, NotificationStatus, Resident
from portal.services import send_rate
from portal.services.fallback import fall_back
from portal.services.messages import IMMEDIATE, SECRET_PARAMS, redacted, render
from portal.services.notifications import quiet_hours_resume
from portal.services.sla import local_zone

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
#: Back-off before try n+1 is drawn from [0, min(CAP, BASE * 2**(n-1))] ("full jitter").
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
#: A rate-limited send is put back for about this long (not counted as an attempt).
RATE_LIMITED_DELAY = timedelta(seconds=1)
#: Quiet hours for a guardian's copy: guardians have no settings of their own.
DEFAULT_QUIET_HOURS = (time(21, 0), time(8, 0))
#: Provider calls in flight at once within one batch (each mostly waits on the network).
SEND_THREADS = 8
#: `last_error` of a send whose answer never came: the next try asks Twilio first.
AMBIGUOUS = "ambiguous: "


@dataclass(frozen=True)
class Outgoing:
    """What the provider call needs, read before the session closes."""

    id: int
    channel: MessageChannel
    to: str
    language: str
    body: str
    secret: bool
    last_error: str | None
    created_at: datetime


def deliver(notification_id: int) -> None:
    """Send one notification once. Safe to run twice: only a due `created` row is claimed."""
    deliver_many([notification_id])


def deliver_many(notification_ids: list[int]) -> None:
    """Send a batch of notifications: one claim, one commit, the provider calls side by side.

    The rows one event writes go out in one job (`after_commit_batched`), so a burst costs the
    queue a job per batch, and the provider's round trips overlap instead of queueing.
    """
    now = datetime.now(UTC)
    ids = _claim(notification_ids, now)
    if not ids:
        return
    client = messaging_client()
    outgoing: list[Outgoing] = []
    with db.session.no_autoflush:  # one flush at commit, not one per row
        rows = db.session.scalars(
            select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)
        ).all()
        # Held here so that `_not_now` finds each resident in the session without a query.
        residents = _residents_of(rows)
        for notification in rows:
            if _not_now(notification, now):
                continue
            if not _rate_allows(client):
                _put_back(notification, now + RATE_LIMITED_DELAY)
                after_commit(db.session, QUEUE_NOTIFY, deliver, notification.id)
                continue
            outgoing.append(_render(notification))
    db.session.commit()  # never hold a transaction or a connection across the provider call
    del rows, residents
    if get_current_job() is not None:
        # On a worker the session is the job's own; inline, it is the request's, whose objects
        # the caller still uses, and the commit above has already given the connection back.
        db.session.close()
    results = _send_all(client, outgoing)
    if not results:
        return
    # Locked while the results are written: a status callback racing the send waits for them.
    sent = {
        row.id: row
        for row in db.session.scalars(
            select(Notification)
            .where(Notification.id.in_([m.id for m in outgoing]))
            .with_for_update()
        )
    }
    for message, result in results:  # (recording a success runs no query, so no flush)
        if isinstance(result, ProviderError):
            _record_failure(sent[message.id], message, result)
        else:
            _record_sent(client, sent[message.id], result)
    db.session.commit()


def _residents_of(rows: Sequence[Notification]) -> list[Resident]:
    ids = {row.resident_id for row in rows if row.resident_id is not None}
    if not ids:
        return []
    return list(db.session.scalars(select(Resident).where(Resident.id.in_(ids))))


def _claim(notification_ids: list[int], now: datetime) -> list[int]:
    claimed = db.session.scalars(
        update(Notification)
        .where(Notification.id.in_(notification_ids))
        .where(Notification.status == NotificationStatus.CREATED)
        .where((Notification.send_after.is_(None)) | (Notification.send_after <= now))
        .values(status=NotificationStatus.SENDING, attempts=Notification.attempts + 1)
        .returning(Notification.id),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.commit()
    return list(claimed)


def _send_all(
    client: MessagingClient, outgoing: list[Outgoing]
) -> list[tuple[Outgoing, str | ProviderError]]:
    """Each message's provider reference or error; several at once on a pool of threads."""

    def one(message: Outgoing) -> tuple[Outgoing, str | ProviderError]:
        try:
            return message, _send(client, message)
        except ProviderError as error:
            return message, error

    if len(outgoing) <= 1:
        return [one(message) for message in outgoing]
    with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(outgoing))) as pool:
        return list(pool.map(one, outgoing))


def _not_now(notification: Notification, now: datetime) -> bool:
    """Whether the row was skipped (opted out) or held (quiet hours) instead of sent."""
    resident = (
        db.session.get(Resident, notification.resident_id) if notification.resident_id else None
    )
    to_resident = resident is not None and notification.user_id is None
    if to_resident and resident is not None:
        if resident.opted_out_at is not None or resident.channel == Channel.NONE:
            notification.status = NotificationStatus.SKIPPED
            notification.skip_reason = "opted_out"
            return True
    if notification.template in IMMEDIATE or notification.override_quiet_hours:
        return False
    if to_resident and resident is not None:
        hours = (resident.quiet_hours_start, resident.quiet_hours_end)
    elif resident is not None:  # a guardian's copy
        hours = DEFAULT_QUIET_HOURS
    else:  # staff: their messages are work, and their shifts are theirs to manage
        return False
    resume = quiet_hours_resume(now, *hours, local_zone())
    if resume is None:
        return False
    _put_back(notification, resume)
    return True


def _put_back(notification: Notification, send_after: datetime) -> None:
    """Back to the queue for later; waiting is not a try."""
    notification.status = NotificationStatus.CREATED
    notification.send_after = send_after
    notification.attempts -= 1


def _rate_allows(client: MessagingClient) -> bool:
    redis = redis_connection()
    if redis is None:
        return True
    rate = float(current_app.config.get("TWILIO_SENDS_PER_SECOND", 10))
    return send_rate.acquire(redis, client.sender, rate)


def _render(notification: Notification) -> Outgoing:
    """The text in the recipient's language; a secret is stored only as dots."""
    template, language = notification.template, notification.language
    channel = notification.channel.value
    body = render(template, notification.params, language, channel)
    secret = template in SECRET_PARAMS
    if secret:
        notification.params = redacted(template, notification.params)
        notification.body = render(template, notification.params, language, channel)
    else:
        notification.body = body
    return Outgoing(
        id=notification.id,
        channel=notification.channel,
        to=notification.to_phone or "",
        language=language,
        body=body,
        secret=secret,
        last_error=notification.last_error,
        created_at=notification.created_at,
    )


def _send(client: MessagingClient, outgoing: Outgoing) -> str:
    ref = _already_sent(client, outgoing)
    if ref is not None:
        return ref
    if outgoing.channel == MessageChannel.VOICE:
        # A secret (a sign-in code) is never stored, so its call reads the text inline; any
        # other call is driven by the voice webhook, which reads the stored message.
        return client.place_call(
            outgoing.to,
            outgoing.body,
            outgoing.language,
            notification_id=None if outgoing.secret else outgoing.id,
        )
    return client.send_sms(outgoing.to, outgoing.body)


def _already_sent(client: MessagingClient, outgoing: Outgoing) -> str | None:
    """After an ambiguous try, the provider's reference of the SMS if it did go out.

    Twilio's Messages API has no idempotency key, so the message list is the only way to know.
    """
    if not (outgoing.last_error or "").startswith(AMBIGUOUS):
        return None
    if outgoing.channel != MessageChannel.SMS or not isinstance(client, TwilioClient):
        return None
    since = outgoing.created_at - timedelta(minutes=1)
    return client.sent_to_since(outgoing.to, outgoing.body, since)


def _record_sent(client: MessagingClient, notification: Notification, ref: str) -> None:
    now = datetime.now(UTC)
    if notification.status == NotificationStatus.SENDING:  # a receipt may have come first
        notification.status = NotificationStatus.SENT
    notification.provider = client.name
    notification.provider_ref = ref
    notification.sent_at = now
    if client.simulated:
        # No phone network behind the console: a made-up receipt shows the whole life of a
        # message in the development outbox (provider "console" says it was simulated).
        notification.status = NotificationStatus.DELIVERED
        notification.provider_status = "delivered"
        notification.status_at = now
        notification.delivered_at = now


def _record_failure(notification: Notification, outgoing: Outgoing, error: ProviderError) -> None:
    now = datetime.now(UTC)
    prefix = AMBIGUOUS if isinstance(error, AmbiguousSend) else ""
    notification.last_error = prefix + str(error)
    notification.error_code = error.code
    if isinstance(error, OptedOut):
        # The person replied STOP to the carrier: recorded, never retried, no fallback.
        notification.status = NotificationStatus.SKIPPED
        notification.skip_reason = "opted_out_at_provider"
        _opt_out_recipient(notification, now)
    elif error.retryable and not outgoing.secret and notification.attempts < MAX_ATTEMPTS:
        notification.status = NotificationStatus.CREATED
        notification.send_after = now + backoff(notification.attempts)
    else:
        # A secret is redacted already: it cannot be sent again, so it fails at once.
        notification.status = NotificationStatus.FAILED
        fall_back(db.session, notification, reason="send_failed", now=now)
    log.warning(
        "send failed",
        extra={
            "notification_id": outgoing.id,
            "status": notification.status.value,
            "attempts": notification.attempts,
        },
    )


def _opt_out_recipient(notification: Notification, now: datetime) -> None:
    if notification.user_id is not None or notification.resident_id is None:
        return
    resident = db.session.get(Resident, notification.resident_id)
    if resident is not None and resident.opted_out_at is None:
        resident.opted_out_at = now


def backoff(attempts: int) -> timedelta:
    """A random wait before the next try, growing with the tries made (full jitter)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return ceiling * random.random()  # noqa: S311  (spreading retries, not a secret)
