"""`flask jobs worker` rides out a Redis outage of any length in the same process, and a stop
signal still ends it at once, outage or not. Real processes: a redis-server killed and started
again (empty, as without persistence), and the worker as `flask jobs worker`.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq import Queue, Worker
from rq.job import Job, JobStatus

from portal.clients.job_queue import QUEUE_NOTIFY
from tests.jobs.outage import FlaskCommand, RedisServer, wait_for

LOST = "worker lost Redis"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator:
    started: list[FlaskCommand] = []

    def start(server: RedisServer) -> FlaskCommand:
        worker = FlaskCommand(["jobs", "worker"], server.url, tmp_path)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def run_by(server: RedisServer, worker: FlaskCommand) -> int:
    """Enqueue a job and wait for it: the pid of the process that ran it."""
    job = Queue(QUEUE_NOTIFY, connection=server.client()).enqueue("posix.getpid")
    wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 15, "done", worker.output)
    return job.return_value()


def lost_redis(worker: FlaskCommand, times: int = 1) -> None:
    """Wait until the worker has found Redis missing `times` times (and is backing off)."""
    wait_for(lambda: worker.output().count(LOST) >= times, 20, "backing off", worker.output)


def test_a_worker_rides_out_redis_dying_mid_job(redis_server, start_worker):
    worker = start_worker(redis_server)
    connection = redis_server.client()
    wait_for(lambda: Worker.all(connection=connection), 20, "registered", worker.output)
    # A job in progress when Redis dies: RQ's own loop gives up on this one (not while idle).
    busy = Queue(QUEUE_NOTIFY, connection=connection).enqueue("time.sleep", 1.5)
    started = JobStatus.STARTED
    wait_for(lambda: Job.fetch(busy.id, connection).get_status() == started, 15, "busy")
    redis_server.kill()
    time.sleep(4)
    assert worker.alive(), worker.output()
    redis_server.start()  # empty: every key, the worker's registration too, is gone
    assert run_by(redis_server, worker) == worker.pid, worker.output()
    assert worker.alive()
    assert LOST in worker.output()


def test_a_worker_started_while_redis_is_down_waits_for_it(stopped_redis, start_worker):
    worker = start_worker(stopped_redis)
    lost_redis(worker)
    stopped_redis.start()
    assert run_by(stopped_redis, worker) == worker.pid, worker.output()


def test_sigterm_during_the_back_off_ends_the_worker_at_once(stopped_redis, start_worker):
    worker = start_worker(stopped_redis)
    lost_redis(worker, times=3)  # now waiting 2 to 4 s before it tries again
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(15) == 0, worker.output()
    output = worker.output()
    assert output.count(LOST) == 3  # it did not wait for the next try
    assert "worker stopped on request" in output and "Traceback" not in output


def test_sigterm_while_working_still_stops_the_worker(redis_server, start_worker):
    worker = start_worker(redis_server)
    connection = redis_server.client()
    wait_for(lambda: Worker.all(connection=connection), 20, "registered", worker.output)
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(15) == 0, worker.output()
    assert Worker.all(connection=connection) == []  # RQ's teardown ran


def test_a_job_runs_in_the_worker_itself_and_its_timeout_still_stops_it(redis_server, start_worker):
    worker = start_worker(redis_server)
    connection = redis_server.client()
    wait_for(lambda: Worker.all(connection=connection), 20, "registered", worker.output)
    # No work horse is forked for a job: it runs in the worker's own process.
    assert run_by(redis_server, worker) == worker.pid, worker.output()
    queue = Queue(QUEUE_NOTIFY, connection=connection)
    stuck = queue.enqueue("time.sleep", 60, job_timeout=1)
    failed = JobStatus.FAILED
    wait_for(lambda: stuck.get_status(refresh=True) == failed, 15, "timed out", worker.output)
    assert "JobTimeoutException" in (stuck.latest_result().exc_string or "")
    # The same worker goes on with the next job.
    assert run_by(redis_server, worker) == worker.pid, worker.output()
    assert worker.alive()
