"""The RQ worker: one process per `flask jobs worker`, running its jobs in that process.

RQ's `SimpleWorker` runs each job in the worker's own process instead of forking a work horse
for it. A fork per job (a copy of the page tables, a new database connection, RQ's bookkeeping
in the child) cost more CPU than a batch of messages' sends. A job's timeout still holds (RQ
raises it in the job with SIGALRM, as in a horse), and a job that fails leaves its rows for
the sweeps, as before. What a fork gave for free is done here: each job runs in an app
context of its own, so its session and connections are given back when it ends.

RQ's worker rides out a lost connection only while it waits for a job. Anywhere else (its
start, the heartbeat after a job, the suspension check) a Redis error ends its loop, and its
teardown raises once more. `run_worker` therefore supervises it in the same process: a worker
that ended without being asked to is replaced by a fresh one after a capped, jittered back-off,
for as long as Redis stays away. SIGTERM or SIGINT stops it, during the back-off too.
"""

from __future__ import annotations

import logging
import random
import signal
import time
from contextlib import suppress
from types import FrameType
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.exceptions import StopRequested
from sqlalchemy.orm import configure_mappers

from portal.clients.job_queue import QUEUES, get_queue, redis_connection
from portal.jobs.deliver import prepare_worker

log = logging.getLogger(__name__)

#: The longest wait between two attempts to reach Redis again, in seconds.
BACKOFF_CAP = 30.0


class Backoff:
    """Capped exponential back-off with jitter: about 1 s, 2 s, 4 s … then `cap` each time.

    Each wait is drawn from the upper half of its step, so processes that lost Redis together
    do not all come back in the same instant.
    """

    def __init__(self, first: float = 1.0, cap: float = BACKOFF_CAP) -> None:
        self.first = first
        self.cap = cap
        self.failures = 0

    def next_delay(self) -> float:
        step = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return random.uniform(step / 2, step)  # noqa: S311  (spreading reconnections, not a secret)

    def reset(self) -> None:
        self.failures = 0


class WenxuWorker(SimpleWorker):
    """RQ's worker without work horses, telling its supervisor why it stopped."""

    #: RQ's own wait between reconnections while it waits for a job, capped like ours.
    max_connection_wait_time = BACKOFF_CAP
    #: A signal asked it to stop (not a Redis failure).
    stop_signalled = False
    #: It registered with Redis: Redis was reachable when it started.
    registered = False
    #: Signals that came before RQ's handlers were installed (while it was starting).
    early_stop: StopSignal | None = None

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()
        if self.early_stop is not None and self.early_stop.received:
            # RQ's loop checks this flag at each turn and stops cleanly (RQ 2.12).
            self.stop_signalled = self._stop_requested = True

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signalled = True
        super().request_stop(signum, frame)

    def register_birth(self) -> None:
        super().register_birth()
        self.registered = True

    def perform_job(self, job: Any, queue: Any) -> bool:
        # A context per job, as a request has: the job's session is removed when it ends,
        # whatever way it ends, and nothing one job left in `g` is seen by the next.
        with current_app.app_context():
            return super().perform_job(job, queue)


def build_worker() -> WenxuWorker:
    """A worker listening on every queue in QUEUES: no job may wait on a queue nobody serves."""
    connection = redis_connection()
    if connection is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inline, there is nothing to work on")
    return WenxuWorker([get_queue(name) for name in QUEUES], connection=connection, name=None)


def run_worker(*, burst: bool = False) -> None:
    """Work on every queue until a signal stops it (with `burst`: until the queues are empty).

    A worker that ended because Redis failed is replaced after a back-off, in this process.
    """
    backoff = Backoff()
    # Before the first job, not in it: SQLAlchemy configures the mappers on first use, the
    # Twilio SDK imports its resources, Babel reads its catalogues (half a second of CPU).
    configure_mappers()
    prepare_worker()
    # Through the app's logger once: Flask then gives the `portal` loggers their handler.
    current_app.logger.info("worker starting on %s", ",".join(QUEUES))
    with StopSignal() as stop:
        while not stop.received:
            worker, error = _run_one(burst, stop)
            if burst and error is None:
                return  # the queues are empty (or RQ logged why it gave up)
            if stop.received or (worker is not None and worker.stop_signalled):
                break
            if worker is not None and worker.registered:
                backoff.reset()  # Redis was there a while: start again from the short wait
            delay = backoff.next_delay()
            reason = str(error) if error else "RQ logged why"
            log.warning(
                "worker lost Redis (%s); a new one starts in %.1f s",
                reason,
                delay,
                extra={"error": reason, "retry_in": round(delay, 1)},
            )
            stop.wait(delay)
        log.info("worker stopped on request")


def _run_one(burst: bool, stop: StopSignal) -> tuple[WenxuWorker | None, RedisError | None]:
    """Build a worker and run RQ's loop: the worker (if one was built) and the Redis error.

    Building one already talks to Redis. RQ logs and swallows most errors inside its loop and
    returns (None here); its start and teardown raise.
    """
    try:
        worker = build_worker()
    except RedisError as error:
        return None, error
    worker.early_stop = stop
    failure: RedisError | None = None
    try:
        worker.work(burst=burst, with_scheduler=False)
    except RedisError as error:
        failure = error
    except StopRequested:
        pass  # a signal just as RQ's loop ended: RQ's handler raised it here
    finally:
        stop.install()  # RQ's handlers would talk to Redis, for a worker that is gone
    if not (burst and failure is None):
        _clean_up(worker)
    return worker, failure


def _clean_up(worker: WenxuWorker) -> None:
    """Stop the worker's pubsub thread, which RQ's teardown leaves running when Redis failed.

    A job in progress when Redis failed has ended already: it runs in this process, and RQ's
    loop only gives up once the job has returned (or raised).
    """
    thread = worker.pubsub_thread
    if thread is not None and thread.is_alive():
        thread.stop()
        with suppress(RedisError, OSError):
            worker.pubsub.close()  # type: ignore[union-attr]


class StopSignal:
    """SIGTERM and SIGINT outside RQ's loop: remembered, and ending any wait within a moment.

    Installed for the whole of `run_worker` (RQ replaces it while its loop runs) and restored
    to what it replaced on the way out. The handler only sets a flag: a handler that touched a
    lock (`threading.Event.set`) could deadlock on the lock its own thread holds.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)
    #: How often a wait looks at the flag.
    TICK = 0.1

    def __init__(self) -> None:
        self.received = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignal:
        self._previous = {signum: signal.getsignal(signum) for signum in self.SIGNALS}
        self.install()
        return self

    def __exit__(self, *_: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def install(self) -> None:
        for signum in self.SIGNALS:
            signal.signal(signum, self._handle)

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when a stop signal came."""
        deadline = time.monotonic() + seconds
        while not self.received and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(self.TICK, left))
        return self.received

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
