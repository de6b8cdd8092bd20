"""Helpers for outage tests: a private redis-server to stop and start again on one port, and
`flask` commands run as real processes against it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(
    condition: Callable[[], object],
    seconds: float,
    what: str,
    output: Callable[[], str] | None = None,
) -> None:
    """Poll `condition` for up to `seconds`; fail naming `what` (and a process's output)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {seconds} s: {what}" + (f"\n{output()}" if output else ""))
        time.sleep(0.1)


class RedisServer:
    """A redis-server of the test's own, without persistence: a restart forgets every key."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=2)

    def up(self) -> bool:
        try:
            return bool(self.client().ping())
        except RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.up, 5, "redis-server answers")

    def kill(self) -> None:
        """Stop it at once, as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
            self.process = None


@contextmanager
def private_redis(*, started: bool = True) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.fail(
            "redis-server is not installed: the outage tests need it (Debian: redis-server)"
        )
    server = RedisServer(free_port())
    if started:
        server.start()
    try:
        yield server
    finally:
        server.kill()


class FlaskCommand:
    """`flask <args>` as its own process (the app from wsgi.py), its output in a file."""

    def __init__(self, args: list[str], redis_url: str, tmp_path: Path) -> None:
        self.log_path = tmp_path / f"{args[-1].lstrip('-')}-{time.monotonic_ns()}.log"
        env = {
            **os.environ,
            "FLASK_APP": "wsgi.py",
            "WENXU_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
            "REDIS_URL": redis_url,
            "PYTHONUNBUFFERED": "1",
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait(5)
