"""The job path: after commit, inline (no Redis) or through RQ (REDIS_URL set).

Services and views never enqueue directly: they call `after_commit(job, *ids)`. The
session's `commit()` (see `CommittingSession`) then dispatches, so a worker can never look for
a row that is not committed yet, and a rolled-back transaction sends nothing. A job is a
function of `portal.jobs`, or its dotted name where the caller stands below the jobs (a
service): RQ takes either, and the inline runner imports a name when it runs it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)

QUEUE_NOTIFY = "notify"
QUEUE_PERIODIC = "periodic"
#: Bulk imports: long jobs on their own queue, so they never hold up messages or sweeps.
QUEUE_IMPORTS = "imports"
QUEUES = (QUEUE_NOTIFY, QUEUE_PERIODIC, QUEUE_IMPORTS)

PENDING = "wenxu_pending_jobs"
BATCHED = "wenxu_batched_jobs"
#: Ids per job of a batched job (`after_commit_batched`): one job, one claim, one commit.
#: Each job costs RQ's bookkeeping (a dozen Redis round trips), a claim and two commits: 100
#: keeps that a small part of a message's cost.
BATCH_SIZE = 100


class CommittingSession(FlaskSession):
    """A session that dispatches the jobs registered in its transaction once it commits."""

    def commit(self) -> None:
        super().commit()
        pending = self.info.pop(PENDING, [])
        batched: dict[tuple[str, Job], list[Any]] = self.info.pop(BATCHED, {})
        for queue_name, func, args in pending:
            dispatch(queue_name, func, args)
        for (queue_name, func), items in batched.items():
            for start in range(0, len(items), BATCH_SIZE):
                dispatch(queue_name, func, (items[start : start + BATCH_SIZE],))

    def rollback(self) -> None:
        self.info.pop(PENDING, None)
        self.info.pop(BATCHED, None)
        super().rollback()


def after_commit(session: Any, queue_name: str, func: Job, *args: Any) -> None:
    """Run `func(*args)` once `session` commits (and never if it rolls back)."""
    if queue_name not in QUEUES:
        raise ValueError(f"unknown queue {queue_name!r}")
    session.info.setdefault(PENDING, []).append((queue_name, func, args))


def after_commit_batched(session: Any, queue_name: str, func: Job, item: Any) -> None:
    """Run `func(items)` once `session` commits, with every item so registered (in chunks).

    A transaction that writes many rows for one job (a hundred messages from one event) then
    costs the queue a job per `BATCH_SIZE` rows, not one per row.
    """
    if queue_name not in QUEUES:
        raise ValueError(f"unknown queue {queue_name!r}")
    session.info.setdefault(BATCHED, {}).setdefault((queue_name, func), []).append(item)


#: Seconds before a Redis that does not answer counts as down, so a web request that enqueues
#: goes on without its job (the sweeps send it) instead of hanging. The worker's blocking wait
#: for jobs is longer: RQ raises the read timeout of the worker's connection above it.
REDIS_TIMEOUT = 5
#: Seconds a pooled connection may sit idle before it is checked with a PING before use: one
#: left over from before a Redis restart is replaced instead of failing a command.
REDIS_HEALTH_CHECK_INTERVAL = 30


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url and "redis" not in app.extensions:
        app.extensions["redis"] = Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
            health_check_interval=REDIS_HEALTH_CHECK_INTERVAL,
        )


def redis_connection() -> Redis | None:
    return current_app.extensions.get("redis")


def get_queue(name: str) -> Queue:
    connection = redis_connection()
    if connection is None:
        raise RuntimeError("no Redis configured")
    return Queue(name, connection=connection)


#: A job: the function, or its dotted name ("portal.jobs.deliver.deliver_many").
Job = Callable[..., Any] | str


def dispatch(queue_name: str, func: Job, args: tuple[Any, ...]) -> None:
    """Hand a job to RQ, or run it now when there is no Redis.

    Failures are logged, never raised: the rows a job works on are committed, and the periodic
    sweeps pick up anything a job did not finish, so a down queue delays work but loses none.
    """
    if redis_connection() is None:
        _run_inline(func, args)
        return
    try:
        get_queue(queue_name).enqueue(job_name(func), *args)
    except RedisError:
        log.warning("enqueue failed; the sweep will retry", extra={"job": job_name(func)})


def job_name(func: Job) -> str:
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


def job_function(func: Job) -> Callable[..., Any]:
    """The function a job names (a renamed job fails here, loudly, not in a queue)."""
    if not isinstance(func, str):
        return func
    module, _, name = func.rpartition(".")
    found = getattr(importlib.import_module(module), name)
    if not callable(found):
        raise TypeError(f"{func} is not a function")
    return found  # type: ignore[no-any-return]


def _run_inline(func: Job, args: tuple[Any, ...]) -> None:
    job = job_function(func)
    try:
        job(*args)
    except Exception:
        current_app.extensions["sqlalchemy"].session.rollback()
        log.exception("inline job failed; the sweep will retry", extra={"job": job_name(func)})
