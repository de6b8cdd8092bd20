"""GET /healthz: the state of the database and the job queue, for load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, limiter
from portal.jobs.queue import redis_connection

bp = Blueprint("health", __name__)


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
