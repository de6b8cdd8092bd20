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
server (tests/fake_twilio.py) on loopback, reached by the real `twilio` SDK over HTTP.

Each message is the whole path: a notification row committed, its `deliver` job enqueued after
commit, a worker claiming the row, rendering it, taking a token from the sender's bucket,
calling Twilio and recording the message sid. The clock runs from the first row to the last
`sent`. The goal (issue #5) is at least 200 messages per second with 2 workers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import create_engine, func, make_url, select, text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.config import config_from_env  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import AreaLevel, MessageChannel, Notification, NotificationStatus  # noqa: E402
from portal.services.notifications import queue_message  # noqa: E402
from portal.services.reference_data import seed_reference_data  # noqa: E402
from tests import fake_twilio  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/wenxu_bench")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
BATCH = 100  # rows per transaction, as a burst of case updates would write them
RESIDENTS = 200
LOG = Path(os.environ.get("TMPDIR", "/tmp")) / "wenxu-bench-workers.log"


def fresh_database(url: str) -> None:
    parsed = make_url(url)
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    engine.dispose()


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
    sent, elapsed, posted, closest = run(paced, workers, rate)
    print(  # noqa: T201
        f"paced as deployed (limit {limit}): {paced} messages, {workers} RQ workers\n"
        f"  {sent} sent in {elapsed:.2f} s: {sent / elapsed:.2f} messages/s\n"
        f"  {posted} sends to Twilio, never closer than {closest:.3f} s apart"
    )
    sent, elapsed, posted, _ = run(count, workers, "100000")
    print(  # noqa: T201
        f"the pipeline's ceiling (limit off): {count} messages, {workers} RQ workers, "
        "PostgreSQL, fake Twilio on loopback\n"
        f"  {sent} sent in {elapsed:.2f} s: {sent / elapsed:.0f} messages/s (goal: 200/s)\n"
        f"  Twilio received {posted} messages (one per row: {posted == count})\n"
        f"  workers' log: {LOG}"
    )


def run(count: int, workers: int, rate: str | None) -> tuple[int, float, int, float]:
    """One run: (sent, seconds, sends Twilio received, the shortest gap between two sends)."""
    fresh_database(DATABASE)
    Redis.from_url(REDIS).flushdb()
    fake = fake_twilio.start()
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
        try:
            time.sleep(2.0)  # let the workers start and listen
            started = time.perf_counter()
            for first in range(0, count, BATCH):
                for i in range(first, min(first + BATCH, count)):
                    resident = residents[i % RESIDENTS]
                    queue_message(
                        db.session,
                        dedupe_key=f"bench:{i}",
                        channel=MessageChannel.SMS,
                        resident_id=resident.id,
                        template="case_ack",
                        params={"case_type": "help", "reference": f"2611{i:05d}", "due": "12-01"},
                        language=resident.language,
                        to_phone=resident.phone,
                        created_at=datetime.now(UTC),
                    )
                db.session.commit()
            sent = _wait_for_all(count, limit=max(120.0, count * 1.5))
            elapsed = time.perf_counter() - started
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
            log.close()
            fake.stop()
    posts = sorted(e["at"] for e in fake.log if e["method"] == "POST")
    closest = min((b - a for a, b in zip(posts, posts[1:], strict=False)), default=0.0)
    return sent, elapsed, len(posts), closest


def _wait_for_all(count: int, limit: float = 120.0) -> int:
    deadline = time.monotonic() + limit
    done = 0
    while time.monotonic() < deadline:
        db.session.rollback()
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
