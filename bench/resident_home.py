"""Resident home page throughput against a bare Flask route, both from one gunicorn.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_bench_home \\
        .venv/bin/python bench/resident_home.py [--seconds 10] [--clients 4]

Builds (or reuses) a PostgreSQL database with the demo county, whose first demo resident has a
plan, deliveries to rate, open requests and messages; serves the app with gunicorn (2 sync
workers, the project's gunicorn.conf.py) plus one route that only returns a short text; then
fetches each for the same time with the same number of concurrent clients (each request on a new
connection, as sync workers close it) and prints requests/s of both and their ratio. The issue's
goal is a ratio of at least 0.3. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, make_url, select, text  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_bench_home"
SECRET = "bench-resident-home-secret-key-0123456789abcdef"  # noqa: S105 - a throw-away key
RESIDENT_PHONE = "+8613800000001"
BARE = "/_bench/bare"


def serve_app() -> Flask:
    """The app as production builds it, plus the bare route (gunicorn's factory target)."""
    from portal import create_app

    app = create_app()

    @app.get(BARE)
    def bare() -> str:
        return "ok"

    return app


def _environment(url: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "WENXU_ENV": "development",
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }


def _ensure_database(url: str) -> None:
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def _build_and_sign_in(url: str) -> str:
    """Migrate and seed the demo county (once), and return a signed-in session cookie."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import config_from_env
    from portal.demo import seed_demo
    from portal.extensions import db
    from portal.models import User

    app = create_app(config_from_env(_environment(url)))
    with app.app_context():
        upgrade()
        seed_demo(db.session, now=datetime.now(UTC), residents=60)
        db.session.commit()
        user = db.session.scalar(select(User).where(User.phone == RESIDENT_PHONE))
        assert user is not None
        login = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login
        session["_fresh"] = True
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return f"{cookie.key}={cookie.value}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_gunicorn(url: str, port: int) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
        "--max-requests",
        "0",
        "bench.resident_home:serve_app()",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=_environment(url))  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _get(port, BARE, "")
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 30 s")


def _get(port: int, path: str, cookie: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Cookie": cookie, "Accept-Language": "zh-CN"} if cookie else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _rate(port: int, path: str, cookie: str, seconds: float, clients: int) -> float:
    """Requests per second over `seconds` with `clients` concurrent clients (200s only)."""
    assert _get(port, path, cookie) == 200, f"{path} did not answer 200"
    done = [0] * clients
    stop = time.monotonic() + seconds

    def run(index: int) -> None:
        while time.monotonic() < stop:
            if _get(port, path, cookie) == 200:
                done[index] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    cookie = _build_and_sign_in(url)
    port = _free_port()
    server = _start_gunicorn(url, port)
    try:
        _rate(port, "/", cookie, 2, args.clients)  # warm both workers' caches
        bare = _rate(port, BARE, "", args.seconds, args.clients)
        home = _rate(port, "/", cookie, args.seconds, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"bare route     {bare:8.1f} requests/s")  # noqa: T201
    print(f"resident home  {home:8.1f} requests/s")  # noqa: T201
    print(f"ratio          {home / bare:8.2f} (goal >= 0.3)")  # noqa: T201


if __name__ == "__main__":
    main()
