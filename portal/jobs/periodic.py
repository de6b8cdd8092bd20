"""Periodic work: the list the scheduler enqueues every interval, and the sweeps themselves."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from portal.extensions import db
from portal.jobs.queue import QUEUE_NOTIFY, QUEUE_PERIODIC, after_commit, dispatch
from portal.models import Notification, NotificationStatus

log = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=2)
BATCH = 500


def requeue_notifications() -> int:
    """Re-enqueue messages still `created` (queue was down, quiet hours over, retryable error)."""
    from portal.jobs.deliver import deliver

    now = datetime.now(UTC)
    ids = db.session.scalars(
        select(Notification.id)
        .where(Notification.status == NotificationStatus.CREATED)
        .where(Notification.created_at <= now - STUCK_AFTER)
        .where(or_(Notification.send_after.is_(None), Notification.send_after <= now))
        .order_by(Notification.id)
        .limit(BATCH)
    ).all()
    for notification_id in ids:
        after_commit(db.session, QUEUE_NOTIFY, deliver, notification_id)
    db.session.commit()
    return len(ids)


def forget_old_drafts() -> int:
    """Remove form drafts nobody came back for within a week."""
    from portal.services.drafts import purge_drafts

    removed = purge_drafts(db.session, datetime.now(UTC))
    db.session.commit()
    return removed


def sla_sweep() -> int:
    """Warn and escalate cases whose next SLA check has come (see services.sweep)."""
    from portal.services.sweep import sweep

    result = sweep(db.session, datetime.now(UTC))
    log.info(
        "sla sweep",
        extra={
            "cases": result.cases,
            "warnings": result.warnings,
            "escalations": result.escalations,
            "closed": result.closed,
        },
    )
    return result.cases


PERIODIC_JOBS = (sla_sweep, requeue_notifications, forget_old_drafts)


def enqueue_periodic() -> None:
    for job in PERIODIC_JOBS:
        dispatch(QUEUE_PERIODIC, job, ())
