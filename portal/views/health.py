"""Health checks for load balancers and monitoring.

`GET /healthz`: can this web process serve? (the database; the queue is reported, not gated).
`GET /healthz/messages`: are messages going out? (the queue, messages waiting or stuck, the
scheduler's last tick), for monitoring: a web process can serve while messages are stuck.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from portal.clients.job_queue import redis_connection
from portal.extensions import db, limiter
from portal.jobs.periodic import send_started
from portal.jobs.scheduler import read_tick
from portal.models import Notification, NotificationStatus

bp = Blueprint("health", __name__)
#: The scheduler is late once its last tick is older than this many intervals.
TICKS_MISSED = 3


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """200 when the database answers; 503 when it does not. The queue is reported, not gated."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        database = "unavailable"
    connection = redis_connection()
    if connection is None:
        queue = "inline"
    else:
        try:
            connection.ping()
            queue = "ok"
        except RedisError:
            queue = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify(
        status="ok" if status == 200 else "unavailable", database=database, queue=queue
    ), status


@bp.get("/healthz/messages")
@limiter.exempt
def healthz_messages() -> ResponseReturnValue:
    """200 when messages are going out; 503 with the `problems` when they are not."""
    now = datetime.now(UTC)
    problems: list[str] = []
    queue, last_tick = _queue_and_scheduler(now, problems)
    oldest, sending_stuck = _waiting_messages(now, problems)
    return jsonify(
        status="failing" if problems else "ok",
        queue=queue,
        oldest_unsent_seconds=oldest,
        sending_stuck=sending_stuck,
        scheduler_last_tick_seconds=last_tick,
        problems=problems,
    ), (503 if problems else 200)


def _queue_and_scheduler(now: datetime, problems: list[str]) -> tuple[str, int | None]:
    """The queue's state, and the age of the scheduler's last tick (not checked inline)."""
    connection = redis_connection()
    if connection is None:
        return "inline", None
    try:
        tick = read_tick(connection)
    except RedisError:
        problems.append("the queue (Redis) is unreachable")
        return "unavailable", None
    if tick is None:
        problems.append("the scheduler has not ticked lately (is `flask jobs scheduler` running?)")
        return "ok", None
    age = max(0, int(now.timestamp() - tick.at))
    if age > TICKS_MISSED * tick.interval:
        problems.append(f"the scheduler last ticked {age} s ago (it ticks every {tick.interval} s)")
    return "ok", age


def _waiting_messages(now: datetime, problems: list[str]) -> tuple[int | None, int]:
    """Seconds the oldest due unsent message has waited, and how many sends seem stuck.

    Both read only `created` or `sending` rows, through the (status, created_at) index: few,
    whatever the number of messages ever sent.
    """
    config = current_app.config
    due_since = func.coalesce(Notification.send_after, Notification.created_at)
    started = send_started()
    timeout = config["MESSAGE_SENDING_TIMEOUT_SECONDS"]
    try:
        oldest_due = db.session.scalar(
            select(func.min(due_since)).where(
                Notification.status == NotificationStatus.CREATED,
                or_(Notification.send_after.is_(None), Notification.send_after <= now),
            )
        )
        stuck = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.status == NotificationStatus.SENDING,
                started <= now - timedelta(seconds=timeout),
            )
        )
    except SQLAlchemyError:
        db.session.rollback()
        problems.append("the database is unreachable")
        return None, 0
    oldest = None if oldest_due is None else max(0, int((now - oldest_due).total_seconds()))
    if oldest is not None and oldest > config["MESSAGES_HEALTH_MAX_AGE_SECONDS"]:
        problems.append(f"a due message has waited {oldest} s to be sent")
    if stuck:
        problems.append(f"{stuck} message(s) have been sending for over {timeout} s")
    return oldest, stuck or 0
