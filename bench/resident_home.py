"""Resident home page throughput against a bare Flask route, both from one gunicorn.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_bench_home \\
        .venv/bin/python bench/resident_home.py [--seconds 10] [--clients 8] [--requests 500]

Builds (or reuses) a PostgreSQL database with the demo county, whose first demo resident has a
plan, deliveries to rate, open requests and messages; serves bench/scale_wsgi.py with gunicorn
(2 sync workers, the project's gunicorn.conf.py), as bench/scale.py does: the real app, and a
bare Flask app answering /bench/bare with a short text; then fetches each for the same time with
the same number of concurrent clients (each request on a new connection, as sync workers close
it) and prints requests/s of both and their ratio. The issue's goal is a ratio of at least 0.3.

On a shared machine requests/s swing with the other work, so it also prints CPU per request,
which swings far less: the gunicorn workers' own CPU (from /proc, Linux) during each run, and
the app's CPU through Flask's test client in this process (`--requests` of each, no gunicorn,
no HTTP; PostgreSQL's CPU is not in it). Prints figures, asserts nothing.
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, select, text  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_bench_home"
SECRET = "bench-resident-home-secret-key-0123456789abcdef"  # noqa: S105 - a throw-away key
RESIDENT_PHONE = "+8613800000001"
BARE = "/bench/bare"  # bench/scale_wsgi.py's BARE_PATH
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


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
        "bench.scale_wsgi:app",
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


def _server_cpu(master: int) -> float:
    """CPU seconds (user + system) the gunicorn workers have used so far (Linux /proc)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) "
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def _rate(
    port: int, path: str, cookie: str, seconds: float, clients: int, master: int
) -> tuple[float, float]:
    """Requests per second over `seconds` with `clients` concurrent clients (200s only), and
    the gunicorn workers' CPU milliseconds per request meanwhile."""
    assert _get(port, path, cookie) == 200, f"{path} did not answer 200"
    cpu_before = _server_cpu(master)
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
    elapsed = time.monotonic() - started
    cpu = _server_cpu(master) - cpu_before
    return sum(done) / elapsed, 1000 * cpu / max(sum(done), 1)


def _cpu_in_process(url: str, cookie: str, requests: int) -> tuple[float, float]:
    """CPU milliseconds per request of the home page and of the bare route through Flask's test
    client in this process: the app's own cost, without gunicorn, HTTP or the clients."""
    os.environ.update(_environment(url))
    from bench import scale_wsgi

    client = scale_wsgi.real.test_client()
    bare = scale_wsgi.bare.test_client()
    name, _, value = cookie.partition("=")
    client.set_cookie(name, value)
    headers = {"Accept-Language": "zh-CN"}

    def per_request(fetch: Callable[[], object]) -> float:
        for _ in range(20):  # warm caches (templates, catalogue, statements)
            fetch()
        started = time.process_time()
        for _ in range(requests):
            fetch()
        return 1000 * (time.process_time() - started) / requests

    home = per_request(lambda: client.get("/", headers=headers))
    bare_ms = per_request(lambda: bare.get(BARE))
    return home, bare_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)  # bench/scale.py's THREADS
    parser.add_argument("--requests", type=int, default=500, help="in-process, of each")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    cookie = _build_and_sign_in(url)
    port = _free_port()
    server = _start_gunicorn(url, port)
    try:
        _rate(port, "/", cookie, 2, args.clients, server.pid)  # warm both workers' caches
        bare, bare_cpu = _rate(port, BARE, "", args.seconds, args.clients, server.pid)
        home, home_cpu = _rate(port, "/", cookie, args.seconds, args.clients, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    home_app, bare_app = _cpu_in_process(url, cookie, args.requests)
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"load average {load} on {os.cpu_count()} CPUs")  # noqa: T201
    print("                 requests/s   worker CPU ms/request   in-process CPU ms/request")  # noqa: T201
    print(f"bare route     {bare:12.1f} {bare_cpu:18.2f} {bare_app:24.2f}")  # noqa: T201
    print(f"resident home  {home:12.1f} {home_cpu:18.2f} {home_app:24.2f}")  # noqa: T201
    print(  # noqa: T201
        f"ratio          {home / bare:12.3f} {bare_cpu / home_cpu:18.3f} "
        f"{bare_app / home_app:24.3f}   (goal: requests/s ratio >= 0.3)"
    )


if __name__ == "__main__":
    main()
