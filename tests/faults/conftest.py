"""Fixtures of the fault-injection suite: one stack of real processes per test module.

Needs `redis-server` on PATH and PostgreSQL on 127.0.0.1 (or TEST_DATABASE_URL's server).
Every scenario starts with the fake Twilio emptied and answering well, receipts `normal`; when
a test fails, the end of every process's log is added to its report.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import fake_twilio
from tests.faults.stack import AUTH_TOKEN, PUBLIC, Stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A module's scenarios share one stack: keep them on one xdist worker (`--dist
    loadgroup` in scripts/test), or each worker would start the whole stack again."""
    for item in items:
        if item.nodeid.startswith("tests/faults/"):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    fake = fake_twilio.start()
    running = Stack(directory=tmp_path_factory.mktemp("faults"), fake=fake)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        fake.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(request: pytest.FixtureRequest) -> None:
    if "stack" not in request.fixturenames:
        return
    running: Stack = request.getfixturevalue("stack")
    running.fake.reset()
    running.fake.receipts(
        target=running.web_url, public=PUBLIC, auth_token=AUTH_TOKEN, mode="normal"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    running = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(running, Stack):
        report.sections.append(("process logs", running.tails()))
    return report
