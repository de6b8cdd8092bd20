"""The real processes a fault scenario runs against, and how to look at them.

One `Stack` is: a PostgreSQL database of its own (made, migrated and seeded here, dropped at the
end), a private `redis-server` on a free port (stopped and started again on the same port for an
outage), two `flask jobs worker` processes, one `flask jobs scheduler`, the web app under
gunicorn with two workers, and the fake Twilio in this process, which posts its status
callbacks to the web app. This process also holds an app on the same database and Redis, to
write rows (their jobs go through RQ as in production) and to read the outcome.

Every process logs to a file under the stack's directory; `tails()` shows the end of each.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import requests
from flask import Flask
from flask_migrate import upgrade
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import create_engine, make_url, text

from portal import create_app
from portal.config import config_from_env
from portal.extensions import db
from portal.services.reference.reference_data import seed_reference_data
from tests import fake_twilio

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PUBLIC = "https://wenxu.test"
AUTH_TOKEN = "fault-token"  # noqa: S105  (the fake's, signs its receipts)
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+15005550006"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SCHEDULER_INTERVAL = 1
#: Settings of every process: short waits everywhere, so a scenario takes seconds, not hours.
SETTINGS = {
    "WENXU_ENV": "development",
    "FLASK_APP": "wsgi.py",
    "MESSAGING_PROVIDER": "twilio",
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_FROM_NUMBER": FROM_NUMBER,
    "PUBLIC_BASE_URL": PUBLIC,
    "TWILIO_TIMEOUT_SECONDS": "2",
    "TWILIO_SENDS_PER_SECOND": "1000",
    "TWILIO_CALLS_PER_SECOND": "1000",
    "MESSAGE_RETRY_BASE_SECONDS": "1",
    "MESSAGE_RETRY_CAP_SECONDS": "3",
    "MESSAGE_RECONCILE_SECONDS": "2",
    "MESSAGE_STUCK_SECONDS": "3",
    "MESSAGE_SENDING_TIMEOUT_SECONDS": "8",
    "MESSAGES_HEALTH_MAX_AGE_SECONDS": "30",
    "RATELIMIT_ENABLED": "false",
    "LOG_LEVEL": "INFO",
    "PYTHONUNBUFFERED": "1",
}
#: Settings of the test run itself that must not reach the processes.
NOT_PASSED = ("TEST_DATABASE_URL", "TEST_REDIS_URL", "DATABASE_URL", "REDIS_URL", "PORT")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> set[int]:
    """The live child processes of `pid` (a worker's work horse, gunicorn's workers)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def wait_until(check: Callable[[], Any], timeout: float, step: float = 0.2) -> Any:
    """`check()`'s first true answer within `timeout` seconds, else its last (false) one."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(step)


@dataclass
class Service:
    """One process of the stack, its command and its log file."""

    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str]) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                self.command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: a signal to us is not one to it
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@dataclass
class Stack:
    directory: Path
    fake: fake_twilio.FakeTwilio
    database_url: str = ""
    redis_port: int = 0
    web_port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    redis_server: Service | None = None
    app: Flask | None = None
    #: What `processes()` must still say at the end of a scenario.
    expected: dict[str, Any] = field(default_factory=dict)

    # Start and stop.

    def start(self) -> None:
        self.database_url = _fresh_database()
        self.redis_port, self.web_port = free_port(), free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED}
        self.env.update(SETTINGS)
        self.env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            TWILIO_API_BASE_URL=self.fake.url,
        )
        self.redis_server = Service(
            "redis",
            [
                "redis-server",
                *("--port", str(self.redis_port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            self.directory / "redis.log",
        )
        self.start_redis()
        self.app = create_app(config_from_env(self.env))
        with self.app.app_context():
            upgrade()
            seed_reference_data(db.session, date.today())
            db.session.commit()
        self.fake.receipts(target=self.web_url, public=PUBLIC, auth_token=AUTH_TOKEN, mode="normal")
        for name in ("worker-1", "worker-2"):
            self.add_service(name, [str(BIN / "flask"), "jobs", "worker"])
        self.add_service(
            "scheduler",
            [str(BIN / "flask"), "jobs", "scheduler", "--interval", str(SCHEDULER_INTERVAL)],
        )
        self.add_service(
            "web",
            [
                *(str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")),
                *("-w", "2", "-b", f"127.0.0.1:{self.web_port}"),
                # No planned recycling: a web worker with a new PID here was replaced.
                *("--max-requests", "0"),
                "wsgi:app",
            ],
        )
        self.wait_ready()
        self.expected = self.processes()

    def add_service(self, name: str, command: list[str]) -> Service:
        service = Service(name, command, self.directory / f"{name}.log")
        service.start(self.env)
        self.services[name] = service
        return service

    def wait_ready(self, timeout: float = 60.0) -> None:
        def web() -> bool:
            try:
                return requests.get(f"{self.web_url}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        def workers() -> bool:
            pids = {self.services[n].pid for n in self.services if n.startswith("worker")}
            return {w.pid for w in Worker.all(connection=self.redis())} >= pids

        def scheduler() -> bool:
            return bool(self.redis().exists("wenxu:scheduler"))

        for name, check in (("web", web), ("workers", workers), ("scheduler", scheduler)):
            if not wait_until(check, timeout):
                raise RuntimeError(f"{name} not ready in {timeout} s\n{self.tails()}")
        # gunicorn's workers boot after the first answers: wait for both.
        wait_until(lambda: len(children(self.services["web"].pid)) == 2, timeout)

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        for service in self.services.values():  # a work horse left behind by a kill
            if service.process is not None:
                for pid in children(service.pid):
                    _kill(pid)
        if self.redis_server is not None:
            self.redis_server.stop()
        if self.app is not None:
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.database_url:
            _drop_database(self.database_url)

    # Redis.

    def start_redis(self) -> None:
        assert self.redis_server is not None
        self.redis_server.start(self.env)
        if not wait_until(self._redis_answers, 10):
            raise RuntimeError(f"redis-server did not start\n{self.tails()}")

    def stop_redis(self) -> None:
        assert self.redis_server is not None
        self.redis_server.stop()

    def _redis_answers(self) -> bool:
        try:
            return bool(self.redis().ping())
        except RedisError:
            return False

    def redis(self) -> Redis:
        return Redis(port=self.redis_port, socket_connect_timeout=1, socket_timeout=2)

    # The processes.

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def processes(self) -> dict[str, Any]:
        """Each service's PID (None when it died) and gunicorn's worker PIDs."""
        found: dict[str, Any] = {
            name: service.pid if service.alive() else None
            for name, service in self.services.items()
        }
        found["web workers"] = frozenset(children(self.services["web"].pid))
        return found

    def processes_unchanged(self) -> str | None:
        """None when every process is the one started (alive, same PID), else what changed."""
        now = self.processes()
        if now == self.expected:
            return None
        return f"processes were {self.expected}, are {now}"

    def busy_worker(self, job_name: str) -> tuple[str, int, set[int]] | None:
        """The service running a job whose function name contains `job_name`, its PID and
        its work horse's PID(s)."""
        by_pid = {s.pid: n for n, s in self.services.items() if n.startswith("worker")}
        for worker in Worker.all(connection=self.redis()):
            job = worker.get_current_job()
            if job is not None and job_name in (job.func_name or "") and worker.pid in by_pid:
                return by_pid[worker.pid], worker.pid, children(worker.pid)
        return None

    def replace(self, name: str) -> Service:
        """Start a service again under its name (as systemd would), now the expected one."""
        old = self.services[name]
        service = self.add_service(name, old.command)
        self.expected[name] = service.pid
        return service

    def kill(self, name: str) -> set[int]:
        """SIGKILL a service and its children (a worker's work horse first); their PIDs."""
        service = self.services[name]
        horses = children(service.pid)
        for pid in horses:
            _kill(pid)
        _kill(service.pid)
        assert service.process is not None
        service.process.wait(5)
        return {service.pid, *horses}

    # Looking inside.

    @contextmanager
    def db(self) -> Iterator[Any]:
        """The database session of this process's app, removed afterwards."""
        assert self.app is not None
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    def tails(self, lines: int = 40) -> str:
        parts = []
        for log in sorted(self.directory.glob("*.log")):
            text_lines = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(
                f"---- {log.name} (last {len(text_lines)} lines)\n" + "\n".join(text_lines)
            )
        return "\n".join(parts)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _server_url() -> Any:
    return make_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER)


def _fresh_database() -> str:
    """A new, empty database on the PostgreSQL server of TEST_DATABASE_URL (or the local one)."""
    server = _server_url()
    name = f"wenxu_faults_{os.getpid()}_{uuid4().hex[:8]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    name = make_url(url).database
    engine = create_engine(_server_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
