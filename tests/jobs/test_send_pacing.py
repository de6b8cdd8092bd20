"""Pacing on the wire and the per-sender pause (the real SDK against the fake Twilio; Redis is
real with TEST_REDIS_URL, fakeredis otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select

from portal.extensions import db
from portal.jobs.deliver import deliver_many
from portal.models import MessageChannel, Notification, NotificationStatus
from portal.services.outbound import sender_pause
from portal.services.outbound.notifications import queue_message
from tests.factories import create_resident

TO = "+8613800001234"
S = NotificationStatus


@pytest.fixture
def paced(app: Flask, redis_conn: Redis, twilio) -> Iterator[Redis]:
    """Messages wait in the queue (Redis set) and go out when the test runs the job."""
    app.extensions["redis"] = redis_conn
    yield redis_conn
    del app.extensions["redis"]
    app.config["TWILIO_SENDS_PER_SECOND"] = None


def _queue(count: int, channel: MessageChannel = MessageChannel.SMS) -> list[int]:
    resident = create_resident(phone=TO, disability_category=4)
    db.session.flush()
    for i in range(count):
        queue_message(
            db.session,
            dedupe_key=f"pacing:{channel}:{i}:{datetime.now(UTC).timestamp()}",
            channel=channel,
            resident_id=resident.id,
            template="case_resumed",
            params={"reference": f"26110000{i}", "due": "2026-12-01 17:30"},
            to_phone=TO,
            created_at=datetime.now(UTC),
        )
    db.session.commit()
    return list(db.session.scalars(select(Notification.id).order_by(Notification.id)))


def _rows() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_a_batch_is_paced_send_by_send_and_never_bursts(app, paced, twilio):
    """At 5 per second, six sends of one batch go out a fifth of a second apart (the old
    code took the tokens for the whole batch first and then sent everything at once)."""
    app.config["TWILIO_SENDS_PER_SECOND"] = 5.0
    deliver_many(_queue(6))
    times = sorted(e["at"] for e in twilio.log if e["method"] == "POST")
    assert len(times) == 6
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.1, gaps  # the old code: all six within a few milliseconds
    assert times[-1] - times[0] >= 0.95
    assert {row.status for row in _rows()} == {S.SENT}


def test_a_sender_that_keeps_failing_pauses_and_its_messages_wait_without_using_a_try(
    app, paced, twilio
):
    app.config["TWILIO_SENDS_PER_SECOND"] = 1000.0
    twilio.fail_next(500, 20500, times=sender_pause.FAILURES_BEFORE_PAUSE)
    first = _queue(sender_pause.FAILURES_BEFORE_PAUSE)
    deliver_many(first)
    assert {row.status for row in _rows()} == {S.CREATED}  # each to be tried again
    until = sender_pause.paused_until(paced, f"sms:{twilio_sender(app)}")
    assert until is not None and until > datetime.now(UTC).timestamp()
    later = [i for i in _queue(1) if i not in first]
    deliver_many(later)
    [held] = [row for row in _rows() if row.id in later]
    assert (held.status, held.attempts) == (S.CREATED, 0)
    assert held.send_after.timestamp() >= until
    posts = [e for e in twilio.log if e["method"] == "POST"]
    assert len(posts) == sender_pause.FAILURES_BEFORE_PAUSE  # nothing sent while paused


def test_a_429_pauses_the_sender_for_as_long_as_twilio_asks(app, paced, twilio):
    app.config["TWILIO_SENDS_PER_SECOND"] = 1000.0
    twilio.fail_next(429, 20429, retry_after=90)
    deliver_many(_queue(1))
    until = sender_pause.paused_until(paced, f"sms:{twilio_sender(app)}")
    assert until is not None and 85 <= until - datetime.now(UTC).timestamp() <= 91
    [row] = _rows()
    assert (row.send_after - datetime.now(UTC)).total_seconds() >= 85


def twilio_sender(app: Flask) -> str:
    return app.extensions["messaging"].sender
