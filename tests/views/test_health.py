import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from unittest import mock

import fakeredis
import pytest
import time_machine
from flask import Flask
from redis import Redis
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.jobs.scheduler import TICK_KEY
from portal.models import MessageChannel, Notification, NotificationStatus
from tests.conftest import redis_url
from tests.factories import create_resident
from tests.jobs.conftest import DOWN


def test_healthz_reports_database_and_inline_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "queue": "inline"}


def test_healthz_is_503_when_the_database_is_down(client):
    error = OperationalError("SELECT 1", {}, Exception("connection refused"))
    with mock.patch("portal.views.health.db.session.execute", side_effect=error):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


# /healthz/messages: are messages going out?

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
S = NotificationStatus


@pytest.fixture
def redis_queue(app: Flask) -> Iterator[Redis]:
    """The app has a queue (real with TEST_REDIS_URL, else fakeredis) for the test."""
    url = redis_url()
    connection = Redis.from_url(url) if url else fakeredis.FakeRedis()
    connection.flushdb()
    app.extensions["redis"] = connection
    yield connection
    del app.extensions["redis"]
    connection.flushdb()


def ticked(connection: Redis, seconds_ago: float, interval: int = 60) -> None:
    at = NOW.timestamp() - seconds_ago
    connection.set(TICK_KEY, json.dumps({"at": at, "interval": interval}))


def message(**columns) -> None:
    resident = create_resident()
    db.session.add(
        Notification(
            dedupe_key=f"event:{resident.id}",
            resident_id=resident.id,
            channel=MessageChannel.SMS,
            to_phone=resident.phone,
            template="case_resumed",
            params={"reference": "261100042", "due": "2026-12-17 17:30"},
            **columns,
        )
    )
    db.session.commit()


def messages_health(client):
    with time_machine.travel(NOW, tick=False):
        return client.get("/healthz/messages")


def test_messages_are_ok_inline_without_looking_for_a_scheduler(client):
    message(status=S.CREATED, created_at=NOW - timedelta(seconds=30))
    response = messages_health(client)
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "queue": "inline",
        "oldest_unsent_seconds": 30,
        "sending_stuck": 0,
        "scheduler_last_tick_seconds": None,
        "problems": [],
    }


def test_messages_are_ok_with_a_queue_and_a_recent_tick(client, redis_queue):
    ticked(redis_queue, seconds_ago=50)
    message(status=S.SENT, created_at=NOW - timedelta(days=3))
    message(
        status=S.CREATED, created_at=NOW - timedelta(days=1), send_after=NOW + timedelta(hours=1)
    )
    message(status=S.SENDING, created_at=NOW - timedelta(seconds=100))
    response = messages_health(client)
    assert response.status_code == 200, response.json
    assert response.json["queue"] == "ok"
    assert response.json["oldest_unsent_seconds"] is None  # the one held is not due yet
    assert response.json["scheduler_last_tick_seconds"] == 50


def test_messages_fail_when_the_queue_is_unreachable(app, client):
    app.extensions["redis"] = Redis.from_url(DOWN, socket_connect_timeout=0.2)
    try:
        response = messages_health(client)
    finally:
        del app.extensions["redis"]
    assert response.status_code == 503
    assert (response.json["status"], response.json["queue"]) == ("failing", "unavailable")
    assert client.get("/healthz").status_code == 200  # the web process itself can still serve


def test_messages_fail_when_a_due_message_has_waited_too_long(app, client, monkeypatch):
    message(
        status=S.CREATED,
        created_at=NOW - timedelta(hours=9),
        send_after=NOW - timedelta(seconds=601),
    )
    response = messages_health(client)
    assert response.status_code == 503
    assert response.json["oldest_unsent_seconds"] == 601  # due since its hold ended
    assert response.json["problems"] == ["a due message has waited 601 s to be sent"]
    monkeypatch.setitem(app.config, "MESSAGES_HEALTH_MAX_AGE_SECONDS", 900)
    assert messages_health(client).status_code == 200


def test_messages_fail_when_a_send_has_lasted_too_long(client):
    message(status=S.SENDING, created_at=NOW - timedelta(seconds=301))
    hour_ago = NOW - timedelta(hours=1)
    message(status=S.SENDING, created_at=hour_ago, claimed_at=NOW - timedelta(seconds=301))
    message(status=S.SENDING, created_at=hour_ago, claimed_at=NOW - timedelta(seconds=299))
    response = messages_health(client)
    assert response.status_code == 503
    assert response.json["sending_stuck"] == 2


@pytest.mark.parametrize("seconds_ago", [181, None])
def test_messages_fail_when_the_scheduler_is_late_or_silent(client, redis_queue, seconds_ago):
    if seconds_ago is not None:
        ticked(redis_queue, seconds_ago=seconds_ago, interval=60)
    response = messages_health(client)
    assert response.status_code == 503
    assert response.json["scheduler_last_tick_seconds"] == seconds_ago
    assert "scheduler" in response.json["problems"][0]
