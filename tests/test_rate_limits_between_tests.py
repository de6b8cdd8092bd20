"""Each test counts its sign-ins on the session app's own limits, whatever app a test before it
built. The fault stack builds an app whose limits live in its private Redis, which a scenario
stops; a sign-in test after it on the same worker then counted some tries in memory and the
rest in Redis again, and let an eleventh try a minute through (CI, 2026-12-03).

The two tests run in this order on one worker (one xdist group).
"""

from __future__ import annotations

import socket

import pytest
from flask import Flask

from portal import config as configs
from portal import create_app

pytestmark = pytest.mark.xdist_group("rate-limits-between-tests")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_test_builds_an_app_whose_redis_is_gone(app: Flask) -> None:
    """As tests/faults/stack.py does: an app on a Redis that is stopped later, not put back."""
    config = configs.TestingConfig(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    )
    create_app(config)


def test_the_next_test_is_limited_as_the_session_app_says(client) -> None:
    codes = [
        client.post(
            "/sign-in/password",
            data={"phone": f"138000003{n:02d}", "password": "guess"},
            environ_base={"REMOTE_ADDR": "203.0.113.30"},
        ).status_code
        for n in range(11)
    ]
    assert codes == [200] * 10 + [429]
