"""`flask jobs scheduler` rides out a Redis outage: it waits for Redis to come back (also when
it starts without it), takes its vanished lock again, records its ticks again, and queues the
messages filed meanwhile at once. Real processes: a redis-server killed and started again
(empty, as without persistence), and the scheduler as `flask jobs scheduler --interval 1`.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq import Queue

from portal.clients.job_queue import QUEUE_PERIODIC
from portal.jobs.scheduler import LOCK_KEY, TICK_KEY
from tests.jobs.outage import FlaskCommand, RedisServer, wait_for


@pytest.fixture
def start_scheduler(tmp_path: Path) -> Iterator:
    started: list[FlaskCommand] = []

    def start(server: RedisServer) -> FlaskCommand:
        command = FlaskCommand(["jobs", "scheduler", "--interval", "1"], server.url, tmp_path)
        started.append(command)
        return command

    yield start
    for command in started:
        command.stop()


def ticking_again(server: RedisServer, scheduler: FlaskCommand) -> None:
    """Its tick is recorded, under its own lock, and the messages due are queued at once."""
    connection = server.client()
    wait_for(lambda: connection.get(TICK_KEY), 15, "a tick", scheduler.output)
    assert connection.get(LOCK_KEY) == f"{socket.gethostname()}:{scheduler.pid}".encode()
    queued = [job.func_name for job in Queue(QUEUE_PERIODIC, connection=connection).jobs]
    assert "portal.jobs.periodic.requeue_unsent" in queued
    assert scheduler.alive()


def test_a_scheduler_rides_out_a_redis_restart(redis_server, start_scheduler):
    scheduler = start_scheduler(redis_server)
    connection = redis_server.client()
    wait_for(lambda: connection.get(TICK_KEY), 20, "a first tick", scheduler.output)
    redis_server.kill()
    time.sleep(3)
    assert scheduler.alive(), scheduler.output()
    redis_server.start()  # empty: the lock, the tick and the queued jobs are gone
    ticking_again(redis_server, scheduler)


def test_a_scheduler_started_while_redis_is_down_waits_for_it(stopped_redis, start_scheduler):
    scheduler = start_scheduler(stopped_redis)
    waiting = "scheduler cannot reach Redis"
    wait_for(lambda: waiting in scheduler.output(), 20, "waiting", scheduler.output)
    stopped_redis.start()
    ticking_again(stopped_redis, scheduler)


def test_a_second_scheduler_still_stops_while_the_first_lives(redis_server, start_scheduler):
    first = start_scheduler(redis_server)
    connection = redis_server.client()
    wait_for(lambda: connection.get(TICK_KEY), 20, "a first tick", first.output)
    second = start_scheduler(redis_server)
    assert second.process.wait(20) == 1
    holder = f"{socket.gethostname()}:{first.pid}"
    assert f"another scheduler is running ({holder})" in second.output()
    assert first.alive()


def test_sigterm_stops_the_scheduler_cleanly_and_lets_its_lock_go(redis_server, start_scheduler):
    """systemd stops a service with SIGTERM: the lock must go with it, or its restart would be
    refused until the lock expired (three intervals and more without any sweep)."""
    scheduler = start_scheduler(redis_server)
    connection = redis_server.client()
    wait_for(lambda: connection.get(TICK_KEY), 20, "a first tick", scheduler.output)
    scheduler.process.send_signal(signal.SIGTERM)
    assert scheduler.process.wait(20) == 0, scheduler.output()
    assert connection.get(LOCK_KEY) is None
