"""deliver(notification_id): claim a queued message, render it, hand it to the provider.

The row is claimed atomically (`created` → `sending`), so a job run twice sends once. Opt-outs
and quiet hours are checked again at send time (they may have changed since the row was
written), and the database session is closed while the provider is called: a slow provider
must not hold a connection, let alone a transaction. Each send (`send_one`) paces itself,
records its reference the moment it has one, and looks for an ambiguous earlier try first.

What the provider says decides what happens next (`send_results`):
- sent: `sent` (the console provider, which has no receipts, also records a simulated one);
- opted out at the carrier (Twilio 21610): `skipped`, and the resident is marked opted out;
- retryable (429, 5xx, unreachable, an ambiguous timeout): back to `created` with a growing,
  jittered `send_after` (at least the provider's Retry-After), for `MESSAGE_RETRY_HOURS`;
  then as permanent;
- permanent: `failed`, with the provider's error code, and the fallback chain's next step.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time

from flask import current_app
from rq import get_current_job
from sqlalchemy import select, update

from portal.clients.providers import messaging_client
from portal.extensions import db
from portal.jobs.send_one import Outcome, Outgoing, Sending, count_successes, send_one
from portal.jobs.send_results import AMBIGUOUS, put_back, record_results
from portal.models import Channel, Notification, NotificationStatus, Resident
from portal.services.outbound.messages import (
    IMMEDIATE,
    SAMPLE_PARAMS,
    SECRET_PARAMS,
    redacted,
    render,
)
from portal.services.outbound.notifications import quiet_hours_resume
from portal.services.sla.sla import local_zone

log = logging.getLogger(__name__)

#: Quiet hours for a guardian's copy: guardians have no settings of their own.
DEFAULT_QUIET_HOURS = (time(21, 0), time(8, 0))
#: Provider calls in flight at once within one batch (each mostly waits on the network).
SEND_THREADS = 8


def prepare_worker() -> None:
    """Load once, in a worker before its first job, what that job would otherwise load while
    its messages wait: the provider's SDK, every language's catalogue and locale."""
    messaging_client().warm_up()
    for language in current_app.config["LANGUAGES"]:
        for template, params in SAMPLE_PARAMS.items():
            render(template, params, language, "sms")
            render(template, params, language, "voice")
    # What is loaded now lives as long as the worker: the garbage collector's full passes,
    # which a batch of messages sets off, leave it out instead of walking it every time.
    gc.freeze()


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
    sending = Sending.from_app(client)
    outgoing: list[Outgoing] = []
    with db.session.no_autoflush:  # one flush at commit, not one per row
        rows = db.session.scalars(
            select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)
        ).all()
        # Held here so that `_not_now` finds each resident in the session without a query.
        residents = _residents_of(rows)
        outgoing = [_render(row) for row in rows if not _not_now(row, now)]
    db.session.commit()  # never hold a transaction or a connection across the provider call
    del rows, residents
    if get_current_job() is not None:
        # On a worker the session is the job's own; inline, it is the request's, whose objects
        # the caller still uses, and the commit above has already given the connection back.
        db.session.close()
    try:
        results = _send_all(sending, outgoing)
    finally:
        sending.refs.close()
        count_successes(sending)
    if results:
        record_results(db.session, client, results, now=datetime.now(UTC))
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
        .values(
            status=NotificationStatus.SENDING,
            attempts=Notification.attempts + 1,
            claimed_at=now,
        )
        .returning(Notification.id),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.commit()
    return list(claimed)


def _send_all(sending: Sending, outgoing: list[Outgoing]) -> list[tuple[Outgoing, Outcome]]:
    """Each message's outcome; several at once on a pool of threads."""

    def one(message: Outgoing) -> tuple[Outgoing, Outcome]:
        return message, send_one(sending, message)

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
    put_back(notification, resume)
    return True


def _render(notification: Notification) -> Outgoing:
    """The text in the recipient's language; a secret is stored only as dots."""
    template, language = notification.template, notification.language
    channel = notification.channel.value
    earlier = notification.body  # as an earlier try sent it (the wording may have changed)
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
        ambiguous=(notification.last_error or "").startswith(AMBIGUOUS),
        earlier_body=earlier or body,
        created_at=notification.created_at,
    )
