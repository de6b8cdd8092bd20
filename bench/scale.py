"""A province on one database (issue #12): build it by SQL, serve it with gunicorn, time every page.

    .venv/bin/python bench/scale.py --size 100k            # build wenxu_scale_100k, then measure
    .venv/bin/python bench/scale.py --size 1m --reuse      # keep an existing 1m database
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/mydb \\
        .venv/bin/python bench/scale.py --size 1m --reuse --requests 30

The database (default postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_scale_<size>) is made
afresh, migrated (flask_migrate.upgrade) and seeded with the reference data, then filled by SQL
(bench/scale_data.py): 30 counties × 15 townships × 12 villages, staff for every area, and at
1m 1,000,000 residents, 1 M current plans, 3 M plan items, 5 M deliveries, 1 M cases (~850 k open)
with their SLA marks; 100k is everything but the area tree and staff ÷ 10. `--reuse` keeps a
database whose `bench.info` names the same size (migrations still run, so new indexes arrive).

Then the app is served by gunicorn (gunicorn.conf.py, 2 workers, no worker recycling, no
REDIS_URL so jobs run inline, console messages) through bench/scale_wsgi.py, which adds a bare
Flask route beside it. A township officer, county staff, a county supervisor, an administrator
and a resident sign in through the real sign-in pages (password, then the authenticator code
for the roles that need one, computed with pyotp from the bench accounts' known secret). Each
page is requested N times after a warm-up (p50, p95); its queries are counted in-process with
the app's test client on the same database (tests/query_count.py), signed in the same way.
Then: resident home requests per second ÷ the bare route's (8 client threads, 10 s each); the
SLA sweep acting on 10,000 cases made due at the build's reference moment (in-process, then put
back so the database stays reusable); the notification pipeline's ceiling from
bench/notifications.py (its own database wenxu_scale_notify, Redis db 9). Last, the issue's
goals and `scale: K of N goals met`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
import requests  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import Engine, create_engine, make_url, text  # noqa: E402

import portal.clients.job_queue as job_queue  # noqa: E402
from bench import scale_data  # noqa: E402
from bench.databases import fresh_database  # noqa: E402
from portal import create_app  # noqa: E402
from portal.auth import hash_password  # noqa: E402
from portal.config import config_from_env  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.jobs.summaries import refresh_summaries  # noqa: E402
from portal.models import Base  # noqa: E402
from portal.services.accounts import api_keys  # noqa: E402
from portal.services.cases.sweep import sweep  # noqa: E402
from portal.services.people.crypto import FieldCipher  # noqa: E402
from portal.services.reference.reference_data import seed_reference_data  # noqa: E402
from tests.query_count import count_queries  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_scale_{size}"
NOTIFY_URL = "postgresql://postgres@127.0.0.1:5432/wenxu_scale_notify"
NOTIFY_REDIS = "redis://127.0.0.1:6379/9"
SECRET_KEY = "bench-scale-secret-key-not-for-production-7f3a"  # noqa: S105
FIELD_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"wenxu bench scale field").digest()).decode()
LOOKUP_KEY = "bench-scale-lookup-key-not-for-production-91c2"
SWEEP_CASES = 10_000
WEB_WORKERS = 2
THREADS, THROUGHPUT_SECONDS = 8, 10.0


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def app_env(url: str) -> dict[str, str]:
    """The settings both gunicorn and the in-process app run with."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "WEB_CONCURRENCY", "WEB_BIND")
    }
    env.update(
        {
            "WENXU_ENV": "development",
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET_KEY,
            "FIELD_ENCRYPTION_KEY": FIELD_KEY,
            "LOOKUP_HASH_KEY": LOOKUP_KEY,
            "MESSAGING_PROVIDER": "console",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_LOG_LEVEL": "warning",
        }
    )
    return env


def make_app(url: str) -> Flask:
    return create_app(config_from_env(app_env(url)))


# --- the database -------------------------------------------------------------------------


@dataclass
class Info:
    size: str
    reference: datetime  # T: every generated time is relative to it


def _existing_info(url: str) -> Info | None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"))
    with admin.connect() as c:
        found = c.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        )
    admin.dispose()
    if not found:
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            row = c.execute(text("SELECT size, reference FROM bench.info")).first()
    except Exception:  # noqa: BLE001 - no bench.info: not a finished bench database
        return None
    finally:
        engine.dispose()
    return Info(row[0], row[1]) if row else None


def prepare(url: str, size: scale_data.Size, reuse: bool) -> Info:
    info = _existing_info(url) if reuse else None
    if info is not None and info.size == size.name:
        say(
            f"reusing {make_url(url).database} ({size.name}, "
            f"built for {info.reference:%Y-%m-%d %H:%M} UTC)"
        )
        app = make_app(url)
        with app.app_context():
            upgrade()
        return info
    return build(url, size)


def build(url: str, size: scale_data.Size) -> Info:
    parsed = make_url(url)
    fresh_database(url)
    say(f"building {parsed.database} ({size.name})")
    started = time.perf_counter()
    app = make_app(url)
    with app.app_context():
        upgrade()
        seed_reference_data(db.session, date.today())
        db.session.commit()
        db.engine.dispose()
    say(f"  migrations and reference data: {time.perf_counter() - started:.1f} s")
    reference = datetime.now(UTC).replace(second=0, microsecond=0)
    cipher = FieldCipher(FIELD_KEY, LOOKUP_KEY, SECRET_KEY)
    engine = create_engine(url)
    with engine.begin() as c:
        timings = scale_data.build(
            c,
            size,
            reference,
            password_hash=hash_password(scale_data.PASSWORD),
            totp_encrypted=cipher.encrypt(scale_data.TOTP_SECRET).decode("ascii"),
            say=say,
        )
        c.execute(text("CREATE TABLE bench.info (size text, reference timestamptz)"))
        c.execute(text("INSERT INTO bench.info VALUES (:s, :r)"), {"s": size.name, "r": reference})
    vacuum = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    say(f"  VACUUM ANALYZE: {time.perf_counter() - vacuum:.1f} s")
    engine.dispose()
    say(
        f"built in {time.perf_counter() - started:.0f} s "
        f"(the load itself {sum(timings.values()):.0f} s)"
    )
    return Info(size.name, reference)


def summaries(url: str) -> None:
    """The reporting summaries brought up to now, as the scheduler keeps them (the first run
    on a new database rebuilds them all)."""
    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        areas = refresh_summaries()
        db.engine.dispose()
    say(f"  reporting summaries refreshed ({areas:,} areas): {time.perf_counter() - started:.1f} s")


def print_counts(engine: Engine) -> None:
    tables = [
        "area",
        "user_account",
        "resident",
        "plan",
        "plan_item",
        "delivery",
        "case_file",
        "case_event",
        "sla_mark",
        "rating",
        "notification",
        "audit_event",
    ]
    with engine.connect() as c:
        counts = {t: c.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}  # noqa: S608
        open_cases = c.scalar(
            text("SELECT count(*) FROM case_file WHERE status IN ('new','in_progress','waiting')")
        )
        staff = c.scalar(text("SELECT count(*) FROM user_account WHERE role <> 'resident'"))
    say("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    say(f"      open cases {open_cases:,}, staff accounts {staff:,}")


# --- signing in ------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each form's inputs (name → value), to post a page's form as a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = {}
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and attributes.get("name"):
            self._current[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def form_with(page: str, name: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(page)
    for form in parser.forms:
        if name in form:
            return dict(form)
    raise RuntimeError(f"no form with a field {name!r} on the page")


class Browser(Protocol):
    def get(self, path: str) -> tuple[int, str, str]: ...
    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]: ...


class HttpBrowser:
    """requests over HTTP to gunicorn; answers (status, body, final path)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def get(self, path: str) -> tuple[int, str, str]:
        response = self.session.get(self.base + path, timeout=120)
        return response.status_code, response.text, response.url[len(self.base) :]

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        response = self.session.post(self.base + path, data=data, timeout=120)
        return response.status_code, response.text, response.url[len(self.base) :]


class ClientBrowser:
    """The app's test client in-process (the same requests, for counting queries)."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def get(self, path: str) -> tuple[int, str, str]:
        response = self.client.get(path, follow_redirects=True)
        return response.status_code, response.get_data(as_text=True), response.request.path

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        response = self.client.post(path, data=data, follow_redirects=True)
        return response.status_code, response.get_data(as_text=True), response.request.path


@dataclass(frozen=True)
class Account:
    role: str  # the label in the output: township, county, supervisor, admin, resident
    phone: str
    user_id: int
    totp: bool


def sign_in(browser: Browser, account: Account, engine: Engine) -> None:
    """Password, then the authenticator code where the role needs one, as a person would."""
    # One code is accepted once per 30-second step: each bench sign-in starts the step anew.
    with engine.begin() as c:
        c.execute(
            text("UPDATE user_account SET totp_last_step = NULL WHERE id = :id"),
            {"id": account.user_id},
        )
    _, page, _ = browser.get("/sign-in/password")
    data = form_with(page, "password")
    data.update(phone=account.phone, password=scale_data.PASSWORD)
    status, page, where = browser.post("/sign-in/password", data)
    if account.totp:
        if not where.startswith("/sign-in/two-factor"):
            raise RuntimeError(f"{account.role}: expected the second factor, got {where} {status}")
        data = form_with(page, "code")
        data["code"] = pyotp.TOTP(scale_data.TOTP_SECRET).now()
        status, page, where = browser.post(where, data)
    expected = "/" if account.role == "resident" else "/admin/"
    if where.split("?")[0] != expected:
        raise RuntimeError(f"{account.role}: sign-in ended at {where} with {status}")
    if status != 200:  # signed in, but the landing page failed: its timing will say so
        say(f"  {account.role}: signed in, but {expected} answered {status}")


def accounts(engine: Engine) -> dict[str, Account]:
    queries = {
        "township": """SELECT u.phone, u.id FROM user_account u JOIN bench.village v
                       ON v.township_id = u.area_id WHERE v.idx = 0 AND u.role = 'township_officer'
                       ORDER BY u.id LIMIT 1""",
        "county": """SELECT u.phone, u.id FROM user_account u JOIN bench.village v
                     ON v.county_id = u.area_id WHERE v.idx = 0 AND u.role = 'county_staff'
                     ORDER BY u.id LIMIT 1""",
        "supervisor": """SELECT u.phone, u.id FROM user_account u JOIN bench.village v
                         ON v.county_id = u.area_id WHERE v.idx = 0 AND u.role = 'supervisor'
                         ORDER BY u.id LIMIT 1""",
        "admin": "SELECT phone, id FROM user_account WHERE role = 'admin' ORDER BY id LIMIT 1",
        "resident": """SELECT phone, id FROM user_account WHERE role = 'resident'
                       ORDER BY id LIMIT 1""",
    }
    found = {}
    with engine.connect() as c:
        for role, query in queries.items():
            phone, user_id = c.execute(text(query)).one()
            found[role] = Account(role, phone, user_id, role in ("county", "supervisor", "admin"))
    return found


# --- the pages -------------------------------------------------------------------------------


@dataclass
class Page:
    label: str
    path: str
    roles: tuple[str, ...]


@dataclass
class Timing:
    label: str
    role: str
    samples: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    queries: int | None = None
    size: int = 0

    def p(self, q: int) -> float:
        if len(self.samples) < 2:
            return self.samples[0] * 1000 if self.samples else float("nan")
        return statistics.quantiles(self.samples, n=100, method="inclusive")[q - 1] * 1000


STAFF3 = ("township", "county", "admin")


def pages(engine: Engine) -> list[Page]:
    with engine.connect() as c:
        case_id = c.scalar(
            text("""SELECT c.id FROM case_file c JOIN bench.village v ON v.id = c.area_id
                    WHERE v.idx < 12 AND c.status = 'in_progress' ORDER BY c.id LIMIT 1""")
        )
    return [
        Page("case page", f"/admin/cases/{case_id}", STAFF3),
        Page("queue", "/admin/", STAFF3),
        Page("coverage", "/admin/coverage", STAFF3),
        Page("residents list", "/admin/residents", STAFF3),
        Page("dashboard", "/admin/dashboard", STAFF3),
        Page("supervision", "/admin/supervision", ("county", "supervisor", "admin")),
        Page("audit log", "/admin/audit", ("supervisor", "admin")),
        Page("outbox", "/admin/outbox", STAFF3),
        Page("dashboard CSV export", "/admin/dashboard/export-csv", STAFF3),
        Page("coverage CSV export", "/admin/coverage/export-csv", ("county",)),
        Page("Open311 list", "/open311/v2/requests.json", ("api key",)),
        Page("resident home", "/", ("resident",)),
    ]


def api_key(url: str) -> str:
    """A fresh Open311 key for the county of the first village, made by the app's service."""
    app = make_app(url)
    with app.app_context():
        area_id = db.session.scalar(text("SELECT county_id FROM bench.village WHERE idx = 0"))
        from portal.models import Area

        area = db.session.get(Area, area_id)
        assert area is not None
        made = api_keys.create_key(
            db.session, name="bench scale", area=area, actor_id=None, now=datetime.now(UTC)
        )
        db.session.commit()
        secret = made.secret
        db.engine.dispose()
    return secret


def time_pages(
    base: str,
    sessions: dict[str, requests.Session],
    key: str,
    todo: list[Page],
    n: int,
    max_seconds: float,
) -> list[Timing]:
    results = []
    for page in todo:
        for role in page.roles:
            session = sessions.get(role) or requests.Session()
            headers = {"X-Api-Key": key} if role == "api key" else {}
            timing = Timing(page.label, role)
            # Warm-up: each sync worker takes whichever connection comes first, so a few per
            # worker make sure every one of them has compiled the page's templates.
            for _ in range(3 * WEB_WORKERS):
                session.get(base + page.path, headers=headers, timeout=300)
            began = time.perf_counter()
            while len(timing.samples) < n and time.perf_counter() - began < max_seconds:
                started = time.perf_counter()
                response = session.get(base + page.path, headers=headers, timeout=300)
                timing.samples.append(time.perf_counter() - started)
                timing.statuses.add(response.status_code)
                timing.size = len(response.content)
            results.append(timing)
            say(
                f"  {page.label:<22} {role:<10} p50 {timing.p(50):8.1f} ms  "
                f"p95 {timing.p(95):8.1f} ms  n={len(timing.samples)}  "
                f"{timing.size / 1024:.0f} KB  status {sorted(timing.statuses)}"
            )
    return results


def count_page_queries(
    url: str, engine: Engine, people: dict[str, Account], key: str, timings: list[Timing]
) -> None:
    """Each page's statements, counted in-process with the test client on the same data."""
    app = make_app(url)
    paths = {p.label: p.path for p in pages(engine)}
    browsers: dict[str, ClientBrowser] = {}
    for timing in timings:
        if timing.role not in browsers:
            browser = ClientBrowser(app)
            if timing.role in people:
                sign_in(browser, people[timing.role], engine)
            browsers[timing.role] = browser
        client = browsers[timing.role].client
        headers = {"X-Api-Key": key} if timing.role == "api key" else {}
        client.get(paths[timing.label], headers=headers)  # per-process caches filled
        # A fresh application context per request, as gunicorn has: Flask-Login keeps the
        # signed-in user in `g`, which one long context would share between the roles.
        with app.app_context(), count_queries() as queries:
            client.get(paths[timing.label], headers=headers)
        timing.queries = queries.count
    with app.app_context():
        db.engine.dispose()


# --- gunicorn and throughput -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--workers",
        str(WEB_WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        # Recycling a worker mid-measurement would time its start-up, not a page.
        "--max-requests",
        "0",
        "bench.scale_wsgi:app",
    ]
    handle = log.open("wb")
    process = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=app_env(url), stdout=handle, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/bench/bare", timeout=10).ok:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"gunicorn did not answer; see {log}")


def throughput(port: int, path: str, cookie: str) -> float:
    """Requests per second from THREADS clients, each request after the last one's answer."""
    done = [0] * THREADS
    errors = [0] * THREADS
    stop = time.perf_counter() + THROUGHPUT_SECONDS

    def client(i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": cookie} if cookie else {}
        while time.perf_counter() < stop:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                done[i] += 1
            else:
                errors[i] += 1
            if response.will_close:
                connection.close()
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if sum(errors):
        say(f"  {path}: {sum(errors)} answers were not 200")
    return sum(done) / elapsed


# --- the sweep ----------------------------------------------------------------------------


def time_sweep(url: str, reference: datetime) -> tuple[float, int, float] | None:
    """(seconds, cases acted on, queries per case) for a sweep at T with 10,000 cases due,
    then every row it wrote removed and the cases put back as they were."""
    app = make_app(url)
    with app.app_context():
        session = db.session
        ids = list(
            session.scalars(
                text("""SELECT id FROM case_file WHERE status = 'in_progress'
                        AND first_responded_at IS NOT NULL AND reply_due_at IS NULL
                        AND resolve_due_at > :t AND escalation_level = 0
                        ORDER BY id LIMIT :n"""),
                {"t": reference, "n": SWEEP_CASES},
            )
        )
        tables = [t for t in Base.metadata.sorted_tables if "id" in t.c]
        session.execute(text("DROP TABLE IF EXISTS bench.sweep_saved"))
        session.execute(
            text("CREATE TABLE bench.sweep_saved AS SELECT * FROM case_file WHERE id = ANY(:ids)"),
            {"ids": ids},
        )
        last = {
            t.name: session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {t.name}"))
            for t in tables
        }  # noqa: S608
        session.execute(
            text("""UPDATE case_file SET resolve_due_at = :due, current_due_at = :due,
                    current_warn_at = created_at + (:due - created_at) * 2 / 3,
                    next_sla_check_at = :check WHERE id = ANY(:ids)"""),
            {
                "due": reference - timedelta(hours=1),
                "check": reference - timedelta(minutes=1),
                "ids": ids,
            },
        )
        session.commit()
        jobs: list[str] = []
        dispatch = job_queue.dispatch
        # Delivery jobs are counted, not run: RQ workers send in production, and inline they
        # would time the console provider (as bench/sweep.py does).
        job_queue.dispatch = lambda queue_name, func, args: jobs.append(queue_name)
        try:
            with count_queries() as queries:
                started = time.perf_counter()
                result = sweep(session, reference)
                elapsed = time.perf_counter() - started
        finally:
            job_queue.dispatch = dispatch
            session.rollback()
            _put_back(session, tables, last)
        db.engine.dispose()
    if not result.cases:
        return None
    say(
        f"  {result.escalations:,} escalations, {result.warnings:,} warnings, "
        f"{queries.count:,} statements, {len(jobs):,} delivery jobs queued (not run)"
    )
    return elapsed, result.cases, queries.count / result.cases


def _put_back(session: Any, tables: list[Any], last: dict[str, int]) -> None:
    for table in reversed(tables):
        session.execute(
            text(f"DELETE FROM {table.name} WHERE id > :last"), {"last": last[table.name]}
        )  # noqa: S608
    columns = [c.name for c in Base.metadata.tables["case_file"].c if c.name != "id"]
    names = ", ".join(columns)
    values = ", ".join(f"s.{c}" for c in columns)
    session.execute(
        text(
            f"UPDATE case_file c SET ({names}) = ({values})"
            " FROM bench.sweep_saved s WHERE c.id = s.id"
        )  # noqa: S608
    )
    session.execute(text("DROP TABLE bench.sweep_saved"))
    session.commit()


# --- notifications ----------------------------------------------------------------------------


def notifications() -> float | None:
    """bench/notifications.py's pipeline ceiling (2 workers, fake Twilio, pacing off), msg/s."""
    env = {**os.environ, "BENCH_DATABASE_URL": NOTIFY_URL, "BENCH_REDIS_URL": NOTIFY_REDIS}
    env.pop("REDIS_URL", None)
    command = [
        sys.executable,
        str(HERE / "notifications.py"),
        "2000",
        "--workers",
        "2",
        "--paced",
        "1",
    ]
    try:
        run = subprocess.run(  # noqa: S603
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
        )
    except subprocess.TimeoutExpired:
        say("  bench/notifications.py took over 15 minutes")
        return None
    ceiling = run.stdout.partition("ceiling")[2]
    figures = re.findall(r"sent in [\d.]+ s: ([\d.]+) messages/s", ceiling)
    if run.returncode != 0 or not figures:
        say(f"  bench/notifications.py failed ({run.returncode}): {run.stderr[-500:]}")
        return None
    for line in ceiling.splitlines()[:3]:
        say("  " + line.strip())
    return float(figures[0])


# --- goals -------------------------------------------------------------------------------------


@dataclass
class Goal:
    name: str
    value: float | None
    unit: str
    target: float
    at_most: bool
    #: Why there is no value: a page that answered anything but 200 meets no goal.
    error: str | None = None

    @property
    def met(self) -> bool:
        if self.value is None or self.error:
            return False
        return self.value <= self.target if self.at_most else self.value >= self.target


def goals(
    timings: list[Timing],
    sweep_figures: tuple[float, int, float] | None,
    ratio: float | None,
    rate: float | None,
) -> list[Goal]:
    def page(name: str, label: str, target: float, *roles: str) -> Goal:
        found = [t for t in timings if t.label == label and t.role in roles]
        value = max(t.p(95) for t in found) if found else None
        wrong = sorted({s for t in found for s in t.statuses} - {200})
        error = "status " + ",".join(map(str, wrong)) if wrong else None
        return Goal(name, value, "ms", target, True, error)

    return [
        page("one case page, any staff (p95)", "case page", 50, *STAFF3),
        page("queue first page, county staff (p95)", "queue", 50, "county"),
        page("queue first page, administrator (p95)", "queue", 100, "admin"),
        page("coverage, county (p95)", "coverage", 200, "county"),
        page("residents list, county (p95)", "residents list", 50, "county"),
        page("dashboard, administrator (p95)", "dashboard", 200, "admin"),
        Goal(
            "SLA sweep acting on 10,000 due cases",
            sweep_figures[0] * SWEEP_CASES / sweep_figures[1] if sweep_figures else None,
            "s",
            5,
            True,
        ),
        Goal("resident home ÷ bare Flask route", ratio, "", 0.3, False),
        Goal("notifications, 2 workers (ceiling)", rate, "msg/s", 400, False),
    ]


def print_goals(table: list[Goal]) -> None:
    say()
    say(f"{'goal':<42} {'measured':>14} {'target':>14}  met")
    for goal in table:
        shown = "not measured" if goal.value is None else f"{goal.value:,.2f} {goal.unit}"
        shown = goal.error or shown
        target = f"{'≤' if goal.at_most else '≥'} {goal.target:g} {goal.unit}"
        say(f"{goal.name:<42} {shown:>14} {target:>14}  {'yes' if goal.met else 'no'}")
    say(f"scale: {sum(g.met for g in table)} of {len(table)} goals met")


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=sorted(scale_data.SIZES), default="100k")
    parser.add_argument("--reuse", action="store_true", help="keep a database of this size")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument(
        "--max-seconds", type=float, default=60, help="stop timing a page after this long"
    )
    parser.add_argument("--skip-notifications", action="store_true")
    arguments = parser.parse_args()
    size = scale_data.SIZES[arguments.size]
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL.format(size=size.name)
    info = prepare(url, size, arguments.reuse)
    summaries(url)
    engine = create_engine(url)
    print_counts(engine)
    people = accounts(engine)
    key = api_key(url)
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"wenxu-scale-gunicorn-{port}.log"  # noqa: S108
    server = start_gunicorn(url, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        sessions = {}
        for role, account in people.items():
            browser = HttpBrowser(base)
            sign_in(browser, account, engine)
            sessions[role] = browser.session
        say(
            f"\npages over HTTP (gunicorn, {WEB_WORKERS} workers), {arguments.requests} requests "
            f"each (load average {_load()} on {os.cpu_count()} CPUs):"
        )
        timings = time_pages(
            base, sessions, key, pages(engine), arguments.requests, arguments.max_seconds
        )
        home = throughput(port, "/", _cookie(sessions["resident"]))
        bare = throughput(port, "/bench/bare", "")
    finally:
        server.terminate()
        server.wait(timeout=60)
    ratio = home / bare if bare else None
    say(
        f"\nthroughput, {THREADS} threads × {THROUGHPUT_SECONDS:.0f} s: resident home "
        f"{home:.0f}/s, bare route {bare:.0f}/s, ratio {ratio or 0:.3f}"
    )
    say("\nqueries per page (in-process test client, same database):")
    count_page_queries(url, engine, people, key, timings)
    _print_table(timings)
    say(f"\nSLA sweep at T ({info.reference:%Y-%m-%d %H:%M} UTC) with {SWEEP_CASES:,} cases due:")
    swept = time_sweep(url, info.reference)
    if swept:
        seconds, cases, per_case = swept
        say(
            f"  {cases:,} cases in {seconds:.1f} s: {cases / seconds:.0f} cases/s, "
            f"{per_case:.2f} queries per case"
        )
    else:
        say("  the sweep acted on no case")
    rate = None
    if not arguments.skip_notifications:
        say("\nnotifications (bench/notifications.py):")
        rate = notifications()
    engine.dispose()
    say(f"\nload average at the end: {_load()} (other work on the machine inflates every figure)")
    print_goals(goals(timings, swept, ratio, rate))


def _load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


def _cookie(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def _print_table(timings: list[Timing]) -> None:
    say(f"{'page':<22} {'as':<10} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8}  status")
    for t in timings:
        statuses = ",".join(map(str, sorted(t.statuses)))
        say(
            f"{t.label:<22} {t.role:<10} {t.p(50):9.1f} {t.p(95):9.1f} {t.queries!s:>8}  {statuses}"
        )


if __name__ == "__main__":
    main()
