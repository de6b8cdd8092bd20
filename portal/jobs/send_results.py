"""What a batch's sends came to, written back under the rows' locks in one transaction.

A receipt may have moved a row while its send was in flight (it names the row by id), so only
a row still `sending` takes a failure or a hold: a message the provider has already reported
on is never put back in the queue.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal.clients.messaging import AmbiguousSend, MessagingClient, ProviderError
from portal.clients.twilio_provider import OptedOut
from portal.jobs.send_one import FoundSent, Held, Outcome, Outgoing, Sent
from portal.models import MessageChannel, Notification, NotificationStatus, Resident
from portal.models.base import AnySession
from portal.services.outbound.fallback import fall_back
from portal.services.outbound.receipts import TABLES, Receipt, apply

log = logging.getLogger(__name__)
S = NotificationStatus

#: `last_error` of a try whose answer never came: every later try looks for it first.
AMBIGUOUS = "ambiguous: "


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often a message is tried (the MESSAGE_RETRY_* settings)."""

    window: timedelta
    base: timedelta
    cap: timedelta
    reconcile: timedelta

    @classmethod
    def from_app(cls) -> RetryPolicy:
        config = current_app.config
        return cls(
            window=timedelta(hours=float(config.get("MESSAGE_RETRY_HOURS", 6))),
            base=timedelta(seconds=float(config.get("MESSAGE_RETRY_BASE_SECONDS", 30))),
            cap=timedelta(seconds=float(config.get("MESSAGE_RETRY_CAP_SECONDS", 900))),
            reconcile=timedelta(seconds=float(config.get("MESSAGE_RECONCILE_SECONDS", 60))),
        )

    def backoff(self, attempts: int) -> timedelta:
        """A wait before the next try, growing with the tries made ("equal jitter": at least
        half the step, so a retry never comes back at once, and spread over the rest)."""
        step = min(self.cap, self.base * 2 ** max(0, min(attempts - 1, 30)))
        return step / 2 + step / 2 * random.random()  # noqa: S311  (spreading, not a secret)


def record_results(
    session: AnySession,
    client: MessagingClient,
    results: list[tuple[Outgoing, Outcome]],
    *,
    now: datetime,
) -> None:
    """Write each outcome to its row (locked: a receipt racing the send waits its turn)."""
    policy = RetryPolicy.from_app()
    rows = {
        row.id: row
        for row in session.scalars(
            select(Notification)
            .where(Notification.id.in_([message.id for message, _ in results]))
            .with_for_update()
        )
    }
    for message, outcome in results:
        row = rows[message.id]
        if isinstance(outcome, Sent):
            _record_sent(client, row, outcome.ref, now)
        elif isinstance(outcome, FoundSent):
            _record_sent(client, row, outcome.found.ref, now)
            _apply_found(session, row, outcome, now)
        elif row.status != S.SENDING:
            continue  # a receipt has already said what became of it
        elif isinstance(outcome, Held):
            put_back(row, outcome.until)
        else:
            _record_failure(session, row, message, outcome, policy, now)


def put_back(notification: Notification, send_after: datetime) -> None:
    """Back to the queue for later; waiting is not a try."""
    notification.status = S.CREATED
    notification.send_after = send_after
    notification.attempts -= 1


def _record_sent(client: MessagingClient, row: Notification, ref: str, now: datetime) -> None:
    if row.status == S.SENDING:  # a receipt may have come first
        row.status = S.SENT
    row.provider = client.name
    if row.provider_ref is None:  # written already by the send, unless that write failed
        row.provider_ref = ref
    if row.sent_at is None:
        row.sent_at = now
    if client.simulated:
        # No phone network behind the console: a made-up receipt shows the whole life of a
        # message in the development outbox (provider "console" says it was simulated).
        row.status = S.DELIVERED
        row.provider_status = "delivered"
        row.status_at = now
        row.delivered_at = now


def _apply_found(session: AnySession, row: Notification, outcome: FoundSent, now: datetime) -> None:
    """What the provider's list says of a found message counts as its receipt."""
    kind = "call" if row.channel == MessageChannel.VOICE else "sms"
    if outcome.found.status in TABLES[kind]:
        apply(session, row, Receipt(kind, outcome.found.ref, outcome.found.status), now=now)


def _record_failure(
    session: AnySession,
    row: Notification,
    message: Outgoing,
    error: ProviderError,
    policy: RetryPolicy,
    now: datetime,
) -> None:
    # Once a try may have gone, every later try looks for it first, whatever it ends in.
    ambiguous = isinstance(error, AmbiguousSend) or message.ambiguous
    row.last_error = (AMBIGUOUS if ambiguous else "") + str(error)
    row.error_code = error.code
    if isinstance(error, OptedOut):
        # The person replied STOP to the carrier: recorded, never retried, no fallback.
        row.status = S.SKIPPED
        row.skip_reason = "opted_out_at_provider"
        _opt_out_recipient(session, row, now)
    elif error.retryable and not message.secret and now < row.created_at + policy.window:
        row.status = S.CREATED
        wait = policy.backoff(row.attempts)
        if error.retry_after is not None:
            wait = max(wait, timedelta(seconds=error.retry_after))
        if ambiguous:
            wait = max(wait, policy.reconcile)  # time for its receipt to say it went
        row.send_after = now + wait
    else:
        # A secret is redacted already: it cannot be sent again, so it fails at once.
        row.status = S.FAILED
        fall_back(session, row, reason="send_failed", now=now)
    log.warning(
        "send failed",
        extra={"notification_id": row.id, "status": row.status.value, "attempts": row.attempts},
    )


def _opt_out_recipient(session: AnySession, row: Notification, now: datetime) -> None:
    if row.user_id is not None or row.resident_id is None:
        return
    resident = session.get(Resident, row.resident_id)
    if resident is not None and resident.opted_out_at is None:
        resident.opted_out_at = now
