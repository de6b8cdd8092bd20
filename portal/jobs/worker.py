"""The RQ worker: one process per `flask jobs worker`, a forked work horse per job."""

from __future__ import annotations

from typing import Any

from flask import current_app
from rq import Worker

from portal.extensions import db
from portal.jobs.queue import QUEUES, get_queue, redis_connection


class WenxuWorker(Worker):
    """Disposes the inherited connection pool in each forked horse.

    Without this, parent and child would share pooled PostgreSQL connections across processes.
    """

    def perform_job(self, job: Any, queue: Any) -> bool:
        db.engine.dispose(close=False)
        try:
            return super().perform_job(job, queue)
        finally:
            db.session.remove()


def build_worker() -> WenxuWorker:
    """A worker listening on every queue in QUEUES: no job may wait on a queue nobody serves."""
    connection = redis_connection()
    if connection is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inline, there is nothing to work on")
    return WenxuWorker([get_queue(name) for name in QUEUES], connection=connection, name=None)


def run_worker(*, burst: bool = False) -> None:
    worker = build_worker()
    current_app.logger.info("worker starting on %s", ",".join(QUEUES))
    worker.work(burst=burst, with_scheduler=False)
