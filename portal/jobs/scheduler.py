"""`flask jobs scheduler`: exactly one process enqueues the periodic jobs every interval.

Two schedulers would double every sweep (two SLA warnings, two fallbacks racing), so the
scheduler holds a Redis lock (SET NX with an expiry, renewed each interval). A second one finds
the lock taken and stops, naming the holder; if the holder dies, its lock expires and the next
scheduler to start takes over. Without Redis (inline mode) there is no queue to share and no
other process to fear: the jobs simply run here.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

from portal.jobs.periodic import enqueue_periodic
from portal.jobs.queue import redis_connection

log = logging.getLogger(__name__)

LOCK_KEY = "wenxu:scheduler"


class SchedulerStopped(Exception):
    """The scheduler may not run: another holds the lock, or Redis cannot say who does."""


def run_scheduler(*, interval: int, once: bool = False) -> None:
    """Enqueue the periodic jobs now and every `interval` seconds (only once with `once`)."""
    connection = redis_connection()
    lock = _take_lock(connection, interval) if connection is not None else None
    try:
        while True:
            enqueue_periodic()
            if once:
                return
            time.sleep(interval)
            if lock is not None:
                _renew(lock)
    finally:
        if lock is not None:
            _release(lock)


def _take_lock(connection: Redis, interval: int) -> Lock:
    # The lock outlives two missed renewals, so a slow tick does not hand it to a newcomer.
    lock = Lock(connection, LOCK_KEY, timeout=interval * 3 + 5, blocking=False)
    token = f"{socket.gethostname()}:{os.getpid()}"
    try:
        taken = lock.acquire(token=token)
    except RedisError as error:
        raise SchedulerStopped(
            f"Redis is unreachable ({error}): no way to make sure this scheduler is the only one"
        ) from error
    if not taken:
        holder = connection.get(LOCK_KEY)
        name = holder.decode() if isinstance(holder, bytes) else "unknown"
        raise SchedulerStopped(
            f"another scheduler is running ({name}); exactly one may run per installation"
        )
    log.info("scheduler lock taken", extra={"holder": token})
    return lock


def _renew(lock: Lock) -> None:
    try:
        lock.reacquire()
    except LockError as error:
        raise SchedulerStopped("the scheduler lock was lost to another scheduler") from error
    except RedisError:
        # Redis is down: the lock may expire meanwhile; the next renewal finds out who has it.
        log.warning("scheduler lock not renewed: Redis unreachable")


def _release(lock: Lock) -> None:
    try:
        lock.release()
    except (LockError, RedisError):
        log.warning("scheduler lock not released; it expires by itself")
