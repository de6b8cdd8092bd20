"""One message's way out, on one of a batch's sending threads.

In order, each right before its own provider call (never for the batch as a whole):
1. a paused sender holds the message (no try used);
2. after an ambiguous try, the provider's lists are searched first: a message or call there
   that no other row of ours claims is this one's, and it is not sent again;
3. a token from the sender's bucket (the pace on the wire);
4. the call, and its reference written at once in a transaction of its own, so a receipt
   that comes before the batch ends finds the message, and a worker killed later loses
   nothing that went.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Connection, Engine, bindparam, case, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from portal.clients.job_queue import redis_connection
from portal.clients.messaging import Found, MessagingClient, ProviderError
from portal.extensions import db
from portal.models import MessageChannel, Notification, NotificationStatus, ProviderReceipt
from portal.services.outbound import send_rate, sender_pause

log = logging.getLogger(__name__)

#: How long one send may wait for a token before its message goes back to the queue.
PACE_MAX_WAIT = 30.0
#: A message held for a token or because Redis is unreachable is tried again after this.
HOLD = timedelta(seconds=5)
#: Provider clocks differ from ours: a lost send is looked for from a little before the row.
CLOCK_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class Outgoing:
    """What the provider call needs, read before the session closes."""

    id: int
    channel: MessageChannel
    to: str
    language: str
    body: str
    secret: bool
    ambiguous: bool  # an earlier try may have gone: look for it before sending
    earlier_body: str  # the text that try sent
    created_at: datetime


@dataclass(frozen=True)
class Sent:
    ref: str


@dataclass(frozen=True)
class FoundSent:
    """An earlier, ambiguous try did go: the provider holds it as `found`."""

    found: Found


@dataclass(frozen=True)
class Held:
    """Not tried now (paused sender, no token, Redis unreachable); no try used."""

    until: datetime
    reason: str


Outcome = Sent | FoundSent | Held | ProviderError


@dataclass(frozen=True)
class Sending:
    """What every send of a batch shares, read in the job's app context."""

    client: MessagingClient
    engine: Engine
    redis: Redis | None
    sms_rate: float
    call_rate: float
    pause_step: float
    refs: RefWriter
    #: Buckets with at least one send that went in this batch (threads add to it).
    went: set[str] = field(default_factory=set)

    @classmethod
    def from_app(cls, client: MessagingClient) -> Sending:
        config = current_app.config
        return cls(
            client=client,
            engine=db.engine,
            redis=redis_connection() if not client.simulated else None,
            sms_rate=float(config.get("TWILIO_SENDS_PER_SECOND") or 1.0),
            call_rate=float(config.get("TWILIO_CALLS_PER_SECOND") or 1.0),
            pause_step=float(config.get("MESSAGE_RETRY_BASE_SECONDS", 30)),
            refs=RefWriter(db.engine),
        )

    def bucket(self, channel: MessageChannel) -> tuple[str, float]:
        """The sender's bucket name and rate for `channel` (calls and texts count apart)."""
        if channel == MessageChannel.VOICE:
            return f"voice:{self.client.call_sender}", self.call_rate
        return f"sms:{self.client.sender}", self.sms_rate


def send_one(sending: Sending, message: Outgoing) -> Outcome:
    """Send `message` once, or find that it went, or hold it; never raises ProviderError."""
    bucket, rate = sending.bucket(message.channel)
    try:
        held = _held_by_pause(sending.redis, bucket)
        if held is not None:
            return held
        if message.ambiguous:
            found = _look_for(sending, message)
            if found is not None:
                _write_ref(sending, message.id, found.ref)
                return FoundSent(found)
        if sending.redis is not None and not send_rate.acquire(
            sending.redis, bucket, rate, max_wait=PACE_MAX_WAIT
        ):
            return Held(_now() + HOLD, "rate")
    except RedisError:
        return Held(_now() + HOLD, "queue_unavailable")
    except ProviderError as error:  # the search itself failed: still ambiguous
        return error
    try:
        ref = _send(sending.client, message)
    except ProviderError as error:
        _count_failure(sending, bucket, error)
        return error
    _write_ref(sending, message.id, ref)
    sending.went.add(bucket)
    return Sent(ref)


def _now() -> datetime:
    return datetime.now(UTC)


def _held_by_pause(redis: Redis | None, bucket: str) -> Held | None:
    if redis is None:
        return None
    until = sender_pause.paused_until(redis, bucket)
    if until is None or until <= time.time():
        return None
    # Spread the paused messages over a few seconds after the pause, not all at its end.
    spread = random.uniform(0, 5)  # noqa: S311  (load spreading, not a secret)
    return Held(datetime.fromtimestamp(until + spread, UTC), "sender_paused")


def _send(client: MessagingClient, message: Outgoing) -> str:
    # A secret (a sign-in code) is never stored, so it carries no id: its call reads the text
    # inline, and no receipt or voice webhook ever reads the row.
    named = None if message.secret else message.id
    if message.channel == MessageChannel.VOICE:
        return client.place_call(message.to, message.body, message.language, notification_id=named)
    return client.send_sms(message.to, message.body, notification_id=named)


def _look_for(sending: Sending, message: Outgoing) -> Found | None:
    """The provider's message or call that an earlier try of `message` made, if it did.

    Candidates are the recipient's messages with this text (or calls from our number) made
    since the row was; one already claimed by another row, by its reference or by a receipt
    naming another row, is not ours. The earliest left is the first try's.
    """
    since = message.created_at - CLOCK_MARGIN
    candidates = sending.client.find_sent(
        message.channel.value, message.to, message.earlier_body, since
    )
    if not candidates:
        return None
    refs = [c.ref for c in candidates]
    with sending.engine.connect() as connection:
        taken = set(
            connection.scalars(
                select(Notification.provider_ref).where(
                    Notification.provider_ref.in_(refs), Notification.id != message.id
                )
            )
        )
        taken |= set(
            connection.scalars(
                select(ProviderReceipt.provider_ref).where(
                    ProviderReceipt.provider_ref.in_(refs),
                    ProviderReceipt.named_id.is_not(None),
                    ProviderReceipt.named_id != message.id,
                )
            )
        )
    mine = [c for c in candidates if c.ref not in taken]
    if not mine:
        return None
    found = min(mine, key=lambda c: c.created_at)
    log.info("an ambiguous send had gone", extra={"notification_id": message.id})
    return found


def _write_ref(sending: Sending, notification_id: int, ref: str) -> None:
    sending.refs.write(sending.client.name, notification_id, ref)


class RefWriter:
    """Writes each send's reference the moment it has one, in a transaction of its own.

    A receipt may have come first (it names the message by id) and moved it further: the
    status then stays where the receipt put it. One connection serves the batch's threads in
    turn (a write takes a millisecond; a checkout and its ping per send cost more), and the
    references that came while one thread was writing go together in the next write (a
    group commit: no send waits longer than one write for its own, and a busy batch makes
    one round of statements for several sends). If the database is unreachable, the batch's
    own write tries again, and failing that the row is reclaimed and found at the provider.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()  # held while writing
        self.waiting: list[dict[str, Any]] = []  # references not written yet
        self.waiting_lock = threading.Lock()
        self.connection: Connection | None = None
        S = NotificationStatus
        # Built once: making the statement and its cache key cost more CPU than sending it.
        self.statement = (
            update(Notification)
            .where(Notification.id == bindparam("b_id"))
            .values(
                provider=bindparam("b_provider"),
                provider_ref=func.coalesce(Notification.provider_ref, bindparam("b_ref")),
                sent_at=func.coalesce(Notification.sent_at, bindparam("b_at")),
                status=case(
                    (Notification.status == S.SENDING, S.SENT.value),
                    else_=Notification.status,
                ),
            )
        )

    def write(self, provider: str, notification_id: int, ref: str) -> None:
        """Return once the reference is committed (by this thread or one writing for it)."""
        with self.waiting_lock:
            self.waiting.append(
                {"b_id": notification_id, "b_provider": provider, "b_ref": ref, "b_at": _now()}
            )
        with self.lock:
            with self.waiting_lock:
                group, self.waiting = self.waiting, []
            if group:  # empty: the thread before wrote this one with its own
                self._write(group)

    def _write(self, group: list[dict[str, Any]]) -> None:
        try:
            connection = self.connection or self._connect()
            connection.execute(self.statement, group)
            connection.commit()
        except SQLAlchemyError:
            log.warning(
                "references not written at once",
                extra={"notification_ids": [row["b_id"] for row in group]},
            )
            self.close(failed=True)

    def _connect(self) -> Connection:
        connection = self.connection = self.engine.connect()
        if connection.dialect.name == "postgresql":
            # No wait for the disk: these writes only spare a receipt a wait. Lost in a crash,
            # the batch's own write or the provider's list has the reference. Set once for
            # the connection, which no one else uses until `close` sets it back.
            connection.execute(text("SET synchronous_commit TO OFF"))
            connection.commit()
        return connection

    def close(self, *, failed: bool = False) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        with suppress(SQLAlchemyError):
            if failed:
                # Its state is unknown (the setting too): the pool must not hand it out again.
                connection.invalidate()
            elif connection.dialect.name == "postgresql":
                connection.execute(text("RESET synchronous_commit"))
                connection.commit()
        with suppress(SQLAlchemyError):
            connection.close()


def _count_failure(sending: Sending, bucket: str, error: ProviderError) -> None:
    if sending.redis is None or not error.retryable:
        return
    try:
        sender_pause.failed(
            sending.redis,
            bucket,
            time.time(),
            retry_after=error.retry_after,
            step=sending.pause_step,
        )
    except RedisError:
        pass  # the row's own back-off still holds it


def count_successes(sending: Sending) -> None:
    """A sender that sent in this batch is not failing in a row: its count starts again.

    Once per batch, not per send: a Redis round trip per message is a tenth of the ceiling."""
    if sending.redis is None:
        return
    for bucket in sending.went:
        with suppress(RedisError):
            sender_pause.succeeded(sending.redis, bucket)
