"""`flask jobs scheduler`: exactly one process enqueues the periodic jobs every interval.

Two schedulers would double every sweep (two SLA warnings, two fallbacks racing), so the
scheduler holds a Redis lock (SET NX with an expiry, renewed each tick). A second one finds the
lock taken and stops, naming the holder; if the holder dies, its lock expires and the next
scheduler to start takes over. Without Redis (inline mode) there is no queue to share and no
other process to fear: the jobs simply run here.

Redis may go away and come back (restarted, without persistence: every key gone). The
scheduler then waits with a back-off, whether it was starting or running; takes its lock again
if the lock vanished, but stops if another live scheduler holds it; and on its first good tick
after the outage also enqueues `requeue_unsent`, so that messages filed meanwhile go out at once.
Each good tick is recorded (`TICK_KEY`) for `/healthz/messages`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, NamedTuple

from flask import current_app
from redis import Redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.lock import Lock

from portal.clients.job_queue import QUEUE_PERIODIC, get_queue, redis_connection
from portal.jobs.periodic import enqueue_periodic, requeue_unsent
from portal.jobs.worker import BACKOFF_CAP, Backoff

log = logging.getLogger(__name__)

LOCK_KEY = "wenxu:scheduler"
#: JSON {"at": epoch seconds, "interval": seconds} of the last good tick.
TICK_KEY = "wenxu:scheduler:tick"
#: The tick record outlives this many intervals, so a late scheduler shows how late it is.
TICK_KEPT_INTERVALS = 5


class SchedulerStopped(Exception):
    """The scheduler may not run: another holds the lock, or Redis cannot say who does."""


class Tick(NamedTuple):
    at: float
    interval: int


def run_scheduler(*, interval: int, once: bool = False) -> None:
    """Enqueue the periodic jobs now and every `interval` seconds (only once with `once`).

    With `once`, Redis must answer now; otherwise the scheduler waits for it as long as it takes.
    """
    # Through the app's logger once: Flask then gives the `portal` loggers their handler.
    current_app.logger.info("scheduler starting: every %s s", interval)
    connection = redis_connection()
    if connection is None:
        while True:
            enqueue_periodic()
            if once:
                return
            time.sleep(interval)
    scheduler = LockedScheduler(connection, interval)
    previous = _stop_on_sigterm()
    try:
        if once:
            scheduler.run_once()
        else:
            scheduler.run()
    except Stopped:
        log.info("scheduler stopping on request")
    finally:
        scheduler.release()
        _restore(previous)


class Stopped(BaseException):
    """SIGTERM (systemd's stop): leave the loop, let the lock go, exit cleanly."""


def _stop_on_sigterm() -> Any:
    """Make SIGTERM end the scheduler the way Ctrl-C does, so its lock is released at once
    and the next scheduler (a restart) need not wait for it to expire."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise Stopped

    return signal.signal(signal.SIGTERM, stop)


def _restore(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def read_tick(connection: Redis) -> Tick | None:
    """The last good tick, or None when none was recorded within its expiry."""
    raw = connection.get(TICK_KEY)
    if raw is None:
        return None
    data = json.loads(raw)  # type: ignore[arg-type]
    return Tick(at=float(data["at"]), interval=int(data["interval"]))


class LockedScheduler:
    """The periodic jobs through RQ, under the lock, riding out Redis outages."""

    def __init__(self, connection: Redis, interval: int) -> None:
        self.connection = connection
        self.interval = interval
        # The lock outlives two missed renewals, so a slow tick does not hand it to a newcomer.
        self.lock = Lock(connection, LOCK_KEY, timeout=interval * 3 + 5, blocking=False)
        self.token = f"{socket.gethostname()}:{os.getpid()}"
        # Never longer than an interval between attempts: the sweeps keep their rhythm.
        self.backoff = Backoff(cap=min(BACKOFF_CAP, interval))
        #: Redis failed since the last good tick (or before the first one).
        self.after_outage = False
        self.held = False

    def run(self) -> None:
        """Tick every interval for as long as it holds the lock, Redis outages or not."""
        while not self._try(self.take_lock):
            pass  # _try waited its back-off
        while True:
            if self._try(self.tick):
                time.sleep(self.interval)

    def run_once(self) -> None:
        """Take the lock and tick now: Redis must answer, as one run has no later."""
        try:
            self.take_lock()
        except RedisError as error:
            raise SchedulerStopped(
                f"Redis is unreachable ({error}): "
                "no way to make sure this scheduler is the only one"
            ) from error
        try:
            self.tick()
        except RedisError as error:
            raise SchedulerStopped(f"Redis failed during the run ({error})") from error

    def take_lock(self) -> None:
        """Take the lock, or stop when another scheduler holds it."""
        if not self.lock.acquire(token=self.token):
            raise SchedulerStopped(
                f"another scheduler is running ({self._holder()}); "
                "exactly one may run per installation"
            )
        self.held = True
        log.info("scheduler lock taken", extra={"holder": self.token})

    def tick(self) -> None:
        """Keep the lock, enqueue the periodic jobs (and after an outage, requeue_unsent)."""
        if self._keep_lock() or self.after_outage:
            # Jobs queued before the outage may be gone with it, and web processes could not
            # queue any meanwhile: whatever is due goes out now, not after the stuck threshold.
            get_queue(QUEUE_PERIODIC).enqueue(requeue_unsent)
            log.info("Redis is back: unsent messages queued again")
        enqueue_periodic()
        record = json.dumps({"at": time.time(), "interval": self.interval})
        self.connection.set(TICK_KEY, record, ex=self.interval * TICK_KEPT_INTERVALS)
        self.after_outage = False
        self.backoff.reset()

    def release(self) -> None:
        if not self.held:
            return
        try:
            self.lock.release()
        except (LockError, RedisError):
            log.warning("scheduler lock not released; it expires by itself")

    def _try(self, step: Callable[[], None]) -> bool:
        """Run `step`; when Redis failed, remember it, wait a back-off and say False."""
        try:
            step()
        except LockError:
            raise  # a misuse of the lock, not an outage
        except RedisError as error:
            self.after_outage = True
            delay = self.backoff.next_delay()
            log.warning(
                "scheduler cannot reach Redis (%s); trying again in %.1f s",
                error,
                delay,
                extra={"error": str(error), "retry_in": round(delay, 1)},
            )
            time.sleep(delay)
            return False
        return True

    def _keep_lock(self) -> bool:
        """Renew the lock; True when it had vanished and was taken again (Redis restarted)."""
        try:
            self.lock.reacquire()
            return False
        except LockNotOwnedError:
            pass
        if self.lock.acquire(token=self.token):  # NX: only if nobody holds it now
            log.warning("scheduler lock had vanished; taken again", extra={"holder": self.token})
            return True
        self.held = False
        raise SchedulerStopped(
            f"the scheduler lock was lost to another scheduler ({self._holder()})"
        )

    def _holder(self) -> str:
        holder = self.connection.get(LOCK_KEY)
        return holder.decode() if isinstance(holder, bytes) else "unknown"
