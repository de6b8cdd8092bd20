"""Fixtures for the job tests: a Redis (real with TEST_REDIS_URL, else fakeredis) and Twilio."""

from __future__ import annotations

from collections.abc import Iterator

import fakeredis
import pytest
from flask import Flask
from redis import Redis

from portal.clients.twilio_provider import TwilioClient
from tests import fake_twilio
from tests.conftest import redis_url
from tests.jobs.outage import RedisServer, private_redis

#: Where nothing listens: Redis "stopped".
DOWN = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_conn() -> Iterator[Redis]:
    url = redis_url()
    connection = Redis.from_url(url) if url else fakeredis.FakeRedis()
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def rq_mode(app: Flask, redis_conn: Redis) -> Iterator[Redis]:
    """The app enqueues on `redis_conn` for the test."""
    app.extensions["redis"] = redis_conn
    yield redis_conn
    del app.extensions["redis"]


@pytest.fixture
def twilio(app: Flask) -> Iterator[fake_twilio.FakeTwilio]:
    """The app sends through the real SDK to a fake Twilio on 127.0.0.1 during the test."""
    fake = fake_twilio.start()
    console = app.extensions["messaging"]
    app.extensions["messaging"] = TwilioClient(
        account_sid="AC" + "0" * 32,
        auth_token="secret",
        from_number="+15005550006",
        public_base_url=app.config["PUBLIC_BASE_URL"],
        api_base_url=fake.url,
        timeout=2,
    )
    yield fake
    app.extensions["messaging"] = console
    fake.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server of the test's own, to stop and start (tests/jobs/outage.py)."""
    with private_redis() as server:
        yield server


@pytest.fixture
def stopped_redis() -> Iterator[RedisServer]:
    """The same, not started yet: a process that starts while Redis is down."""
    with private_redis(started=False) as server:
        yield server
