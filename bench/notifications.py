"""Messages per second through the whole notification pipeline: prints figures, asserts nothing.

    .venv/bin/python bench/notifications.py [N] [--workers W] [--paced P] [--rate R]
    (defaults: 2000 messages, 2 workers; 30 paced messages at a long code's 1 per second)

Two runs. First as a deployment would: the per-sender limit on (TWILIO_SENDS_PER_SECOND
unset means a long code's 1/s; --rate sets it, as for a short code or a Messaging Service),
P messages: the rate printed should be the limit, and no two sends closer than 1/limit.
Then the pipeline's own ceiling: N messages with the limit out of the way.

The real components end to end: PostgreSQL (BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/wenxu_bench, dropped and made afresh), Redis (BENCH_REDIS_URL,
default redis://127.0.0.1:6379/15, flushed), W `flask jobs worker` processes, and the fake Twilio
server (tests/fake_twilio.py) on loopback, reached over HTTP as Twilio is (the SDK's pooled
connection; a message create posted straight over it).

Each message is the whole path: a notification row committed (100 to a statement, as the
sweep writes a burst: `queue_messages`), its `deliver` job enqueued after commit, a worker
claiming the row, rendering it, taking a token from the sender's bucket, calling Twilio and
recording the message sid. The clock runs from the first row to the last `sent`, from when the
workers have registered. The goal (issue #12) is at least 400 messages per second with 2
workers.

The fake Twilio runs in a process of its own, so that it does not share the bench's
interpreter, and the ceiling run also prints the CPU each part spent per message (the workers,
which run their jobs in their own processes, the fake, this process writing the rows,
PostgreSQL's backends for the bench database, sampled every 50 ms, and the Redis server's own
count, which includes anyone else using it): on a shared machine the seconds vary with the
neighbours' load, the CPU per message much less, and 2 cores divided by its sum is what this
machine could reach alone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock
from multiprocessing.connection import Connection
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Worker  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench.databases import fresh_database  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import config_from_env  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import AreaLevel, MessageChannel, Notification, NotificationStatus  # noqa: E402
from portal.services.outbound.notifications import queue_messages  # noqa: E402
from portal.services.reference.reference_data import seed_reference_data  # noqa: E402
from tests import fake_twilio  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/wenxu_bench")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
BATCH = 100  # rows per transaction and statement, as the SLA sweep writes a burst
RESIDENTS = 200
LOG = Path(os.environ.get("TMPDIR", "/tmp")) / "wenxu-bench-workers.log"
TICKS = os.sysconf("SC_CLK_TCK")


def environment(twilio_url: str, rate: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "WENXU_ENV": "development",
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": DATABASE,
        "REDIS_URL": REDIS,
        "MESSAGING_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "bench-token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": twilio_url,
        "PUBLIC_BASE_URL": "https://wenxu.example",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("TWILIO_SENDS_PER_SECOND", None)
    if rate is not None:
        env["TWILIO_SENDS_PER_SECOND"] = rate
    return env


def main(count: int, workers: int, paced: int, rate: str | None) -> None:
    limit = f"{rate}/s" if rate else "1/s, a long code's default"
    paced_run = run(paced, workers, rate)
    print(  # noqa: T201
        f"paced as deployed (limit {limit}): {paced} messages, {workers} RQ workers\n"
        f"  {paced_run.sent} sent in {paced_run.seconds:.2f} s: "
        f"{paced_run.sent / paced_run.seconds:.2f} messages/s\n"
        f"  {paced_run.posted} sends to Twilio, never closer than {paced_run.closest:.3f} s apart"
    )
    ceiling = run(count, workers, "100000")
    print(  # noqa: T201
        f"the pipeline's ceiling (limit off): {count} messages, {workers} RQ workers, "
        "PostgreSQL, fake Twilio on loopback\n"
        f"  {ceiling.sent} sent in {ceiling.seconds:.2f} s: "
        f"{ceiling.sent / ceiling.seconds:.0f} messages/s (goal: 400/s)\n"
        f"  Twilio received {ceiling.posted} messages (one per row: {ceiling.posted == count})"
    )
    per_message = {name: seconds / count * 1000 for name, seconds in ceiling.cpu.items()}
    total = sum(per_message.values())
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in per_message.items())
    print(  # noqa: T201
        f"  CPU per message (ms): {parts}; in all {total:.2f}\n"
        f"  2 cores / {total:.2f} ms = {2000 / total:.0f} messages/s with nothing else running\n"
        f"  workers' log: {LOG}"
    )


@dataclass
class Run:
    sent: int
    seconds: float
    posted: int
    closest: float  # the shortest gap between two sends to Twilio
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by part


def run(count: int, workers: int, rate: str | None) -> Run:
    """One run: rows written as a burst, sent by `workers` RQ workers to the fake Twilio."""
    fresh_database(DATABASE)
    redis = Redis.from_url(REDIS)
    redis.flushdb()
    fake = FakeInProcess()
    env = environment(fake.url, rate)
    os.environ.update(env)
    app = create_app(config_from_env(env))
    with app.app_context():
        upgrade()
        seed_reference_data(db.session, date.today())
        from tests.factories import create_area, create_resident

        village = create_area("511321101201", AreaLevel.VILLAGE)
        residents = [create_resident(village) for _ in range(RESIDENTS)]
        for resident in residents:  # no quiet hours: the bench must not depend on the hour
            resident.quiet_hours_start = resident.quiet_hours_end = clock(0, 0)
        db.session.commit()
        # Plain values: each commit expires the residents, and reading one again would cost
        # this process a query per message that no producer of messages makes.
        recipients = [(r.id, r.language, r.phone) for r in residents]
        log = open(LOG, "w")  # noqa: SIM115  (the workers' output, for when something fails)
        processes = [
            subprocess.Popen(  # noqa: S603
                [str(ROOT / ".venv/bin/flask"), "jobs", "worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            for _ in range(workers)
        ]
        postgres = Backends()
        try:
            _wait_for_workers(redis, workers)
            cpu_before = _cpu_now(processes, fake, redis)
            postgres.sample()
            started = time.perf_counter()
            for first in range(0, count, BATCH):
                rows = []
                for i in range(first, min(first + BATCH, count)):
                    resident_id, language, phone = recipients[i % RESIDENTS]
                    rows.append(
                        {
                            "dedupe_key": f"bench:{i}",
                            "channel": MessageChannel.SMS,
                            "resident_id": resident_id,
                            "template": "case_ack",
                            "params": {
                                "case_type": "help",
                                "reference": f"2611{i:05d}",
                                "due": "12-01",
                            },
                            "language": language,
                            "to_phone": phone,
                            "created_at": datetime.now(UTC),
                        }
                    )
                queue_messages(db.session, rows)
                db.session.commit()
            sent = _wait_for_all(count, postgres, limit=max(120.0, count * 1.5))
            elapsed = time.perf_counter() - started
            time.sleep(0.2)  # the last job records its batch
            cpu_after = _cpu_now(processes, fake, redis)
            postgres.sample()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
            log.close()
            posts = fake.stop()
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
    cpu["PostgreSQL ≈"] = postgres.seconds()
    closest = min((b - a for a, b in zip(posts, posts[1:], strict=False)), default=0.0)
    return Run(sent, elapsed, len(posts), closest, cpu)


class FakeInProcess:
    """The fake Twilio in a process of its own: its CPU apart, and no share of our GIL."""

    def __init__(self) -> None:
        self.pipe, theirs = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(
            target=_serve_fake, args=(theirs,), daemon=True
        )
        self.process.start()
        self.url: str = self.pipe.recv()

    def cpu(self) -> float:
        self.pipe.send("cpu")
        return float(self.pipe.recv())

    def stop(self) -> list[float]:
        """The times of the creates (POSTs) it answered, in order."""
        self.pipe.send("stop")
        posts: list[float] = self.pipe.recv()
        self.process.join(timeout=10)
        return posts


def _serve_fake(pipe: Connection) -> None:
    fake = fake_twilio.start()
    pipe.send(fake.url)
    while pipe.recv() == "cpu":
        times = os.times()
        pipe.send(times.user + times.system)
    fake.stop()
    pipe.send(sorted(e["at"] for e in fake.log if e["method"] == "POST"))


def _cpu_now(processes: list[subprocess.Popen[bytes]], fake: FakeInProcess, redis: Redis) -> dict:
    """CPU seconds so far: each part's (a worker's with any children it reaped)."""
    workers = 0.0
    for process in processes:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        workers += sum(int(v) for v in fields[11:15]) / TICKS  # utime stime cutime cstime
    own = resource.getrusage(resource.RUSAGE_SELF)
    info = redis.info("cpu")
    return {
        "workers": workers,
        "fake Twilio": fake.cpu(),
        "bench (rows, polling)": own.ru_utime + own.ru_stime,
        "Redis (shared) ≈": float(info["used_cpu_user"]) + float(info["used_cpu_sys"]),
    }


class Backends:
    """CPU of PostgreSQL's backends serving the bench database, from /proc, sampled every
    50 ms: a connection that ends between two samples has its last moments missed."""

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.started = False

    def sample(self) -> None:
        pids = db.session.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            seconds = (int(fields[11]) + int(fields[12])) / TICKS
            # A backend there at the start counts from then, a later one from its birth.
            self.first.setdefault(pid, 0.0 if self.started else seconds)
            self.last[pid] = seconds
        self.started = True

    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def _wait_for_workers(redis: Redis, workers: int, limit: float = 120.0) -> None:
    """Until every worker has registered, so its start-up (imports, the app, the catalogues:
    a second or two of CPU) is not counted as the messages' CPU or time."""
    deadline = time.monotonic() + limit
    while len(Worker.all(connection=redis)) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the workers did not start in {limit:.0f} s: see {LOG}")
        time.sleep(0.1)


def _wait_for_all(count: int, postgres: Backends, limit: float = 120.0) -> int:
    deadline = time.monotonic() + limit
    done = 0
    while time.monotonic() < deadline:
        db.session.rollback()
        postgres.sample()
        done = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.status.in_([NotificationStatus.SENT, NotificationStatus.DELIVERED]))
        )
        if done >= count:
            break
        time.sleep(0.05)
    return done or 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--paced", type=int, default=30, help="messages in the paced run")
    parser.add_argument("--rate", default=None, help="TWILIO_SENDS_PER_SECOND of the paced run")
    arguments = parser.parse_args()
    main(arguments.count, arguments.workers, arguments.paced, arguments.rate)
