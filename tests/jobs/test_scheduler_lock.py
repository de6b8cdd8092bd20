"""`flask jobs scheduler`: exactly one runs, and a second one says who holds the lock."""

from __future__ import annotations

import os
import socket
import time

import pytest
from redis import Redis
from rq import Queue

from portal.clients.job_queue import QUEUE_PERIODIC
from portal.jobs import scheduler
from portal.jobs.periodic import PERIODIC_JOBS
from portal.jobs.scheduler import (
    LOCK_KEY,
    TICK_KEPT_INTERVALS,
    TICK_KEY,
    SchedulerStopped,
    read_tick,
    run_scheduler,
)
from tests.jobs.conftest import DOWN


def test_a_lone_scheduler_enqueues_every_periodic_job_and_lets_go(app, rq_mode):
    result = app.test_cli_runner().invoke(args=["jobs", "scheduler", "--once"])
    assert result.exit_code == 0, result.output
    queue = Queue(QUEUE_PERIODIC, connection=rq_mode)
    assert sorted(job.func_name.rpartition(".")[2] for job in queue.jobs) == sorted(
        job.__name__ for job in PERIODIC_JOBS
    )
    assert rq_mode.get(LOCK_KEY) is None  # the next scheduler may start at once


def test_a_second_scheduler_stops_and_names_the_first(app, rq_mode):
    rq_mode.set(LOCK_KEY, "host-a:4242", ex=60)
    result = app.test_cli_runner().invoke(args=["jobs", "scheduler", "--once"])
    assert result.exit_code == 1
    assert "another scheduler is running (host-a:4242)" in result.output
    assert Queue(QUEUE_PERIODIC, connection=rq_mode).count == 0
    assert rq_mode.get(LOCK_KEY) == b"host-a:4242"  # not taken from its holder


def test_the_lock_is_renewed_each_interval_and_expires_without_renewal(rq_mode, monkeypatch):
    """A scheduler that dies leaves a lock that runs out: its successor is not blocked for long."""
    ttls = []

    def tick(seconds: float) -> None:
        assert seconds == 10
        ttls.append(rq_mode.ttl(LOCK_KEY))
        rq_mode.expire(LOCK_KEY, 2)  # almost run out: only a renewal gives it its time back
        if len(ttls) == 3:
            raise KeyboardInterrupt  # the operator stops it

    monkeypatch.setattr(scheduler.time, "sleep", tick)
    with pytest.raises(KeyboardInterrupt):
        run_scheduler(interval=10)
    assert all(30 < ttl <= 35 for ttl in ttls)  # three intervals and a margin, each time
    assert rq_mode.get(LOCK_KEY) is None  # let go on the way out


def test_a_scheduler_that_lost_its_lock_stops(rq_mode, monkeypatch):
    def stolen(_seconds: float) -> None:
        rq_mode.set(LOCK_KEY, "host-b:7", ex=60)  # it stalled past expiry; another took over

    monkeypatch.setattr(scheduler.time, "sleep", stolen)
    with pytest.raises(SchedulerStopped, match="lost"):
        run_scheduler(interval=10)
    assert rq_mode.get(LOCK_KEY) == b"host-b:7"


def test_a_scheduler_that_cannot_reach_redis_says_so(app):
    app.extensions["redis"] = Redis.from_url(DOWN, socket_connect_timeout=0.2)
    try:
        result = app.test_cli_runner().invoke(args=["jobs", "scheduler", "--once"])
    finally:
        del app.extensions["redis"]
    assert result.exit_code == 1
    assert "Redis is unreachable" in result.output


def test_a_scheduler_whose_lock_vanished_takes_it_again(rq_mode, monkeypatch):
    """Redis restarted without persistence: the lock is gone, not taken. The scheduler goes on,
    and sends what is due at once, in case messages were filed while Redis was away."""
    seen = []

    def restart_then_stop(_seconds: float) -> None:
        if not seen:
            rq_mode.flushdb()  # every key gone, as after a restart
        seen.append(rq_mode.get(LOCK_KEY))
        if len(seen) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(scheduler.time, "sleep", restart_then_stop)
    with pytest.raises(KeyboardInterrupt):
        run_scheduler(interval=10)
    assert seen[1] == f"{socket.gethostname()}:{os.getpid()}".encode()  # its own again
    names = [
        job.func_name.rpartition(".")[2] for job in Queue(QUEUE_PERIODIC, connection=rq_mode).jobs
    ]
    assert names.count("requeue_unsent") == 1
    assert sorted(set(names) - {"requeue_unsent"}) == sorted(job.__name__ for job in PERIODIC_JOBS)


def test_each_tick_is_recorded_for_the_health_check(app, rq_mode):
    result = app.test_cli_runner().invoke(args=["jobs", "scheduler", "--once", "--interval", "20"])
    assert result.exit_code == 0, result.output
    tick = read_tick(rq_mode)
    assert tick.interval == 20 and abs(tick.at - time.time()) < 5
    assert 0 < rq_mode.ttl(TICK_KEY) <= 20 * TICK_KEPT_INTERVALS
