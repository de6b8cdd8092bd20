"""Sign-in keeps working while Redis (the rate limits' storage) is down: the limits are counted
in the web process meanwhile (and say so in the log), and go back to Redis once it returns.
A real redis-server, killed and started again, behind an app configured with REDIS_URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from itertools import count

import pytest
from flask import Flask

from portal import config as configs
from portal import create_app
from portal.extensions import db
from tests.factories import PASSWORD, create_resident_user
from tests.jobs.outage import RedisServer, private_redis

addresses = (f"10.9.{n // 250}.{n % 250 + 1}" for n in count())


@pytest.fixture
def redis_app(app: Flask) -> Iterator[tuple[Flask, RedisServer]]:
    """A second app on the same database whose limits are stored in a private Redis."""
    with private_redis() as server:
        config = configs.TestingConfig(
            {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": server.url}
        )
        other = create_app(config)
        try:
            yield other, server
        finally:
            with other.app_context():
                db.engine.dispose()


def sign_in(app: Flask, phone: str, password: str = PASSWORD) -> int:
    response = app.test_client().post(
        "/sign-in/password",
        data={"phone": phone, "password": password},
        environ_base={"REMOTE_ADDR": next(addresses)},
    )
    return response.status_code


def limits_in(server: RedisServer) -> list[bytes]:
    return server.client().keys("LIMITS*")


def test_sign_in_works_while_redis_is_down_and_limits_go_back_to_it(redis_app, caplog):
    other, server = redis_app
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    caplog.set_level(logging.INFO, logger="portal.extensions")
    assert sign_in(other, "13800000001") == 302
    assert limits_in(server)

    server.kill()
    assert sign_in(other, "13800000001") == 302  # not 500
    assert "limits are counted per process" in caplog.text
    # Still limited meanwhile, in this process: 5 tries a minute for one phone.
    codes = [sign_in(other, "13800000002", "guess") for _ in range(6)]
    assert codes == [200] * 5 + [429]

    server.start()  # empty
    deadline = time.monotonic() + 10
    tries = iter(range(100, 1000))
    while not limits_in(server) and time.monotonic() < deadline:
        # A new phone each try: under load the switch back can take more than one phone's
        # five tries a minute, and a 429 here would be the limit working, not a failure.
        assert sign_in(other, f"13800000{next(tries)}", "guess") == 200
        time.sleep(0.5)
    assert limits_in(server), "the limits did not go back to Redis"
    assert "limits are shared again" in caplog.text
