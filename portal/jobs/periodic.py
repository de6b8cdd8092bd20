"""Periodic work: the list the scheduler enqueues every interval, and the sweeps themselves.

Nothing the notification pipeline starts may end silently: a message the queue lost is sent
again, one held for later is sent when its time comes, one that never heard back from the
provider is failed and handed to the fallback chain, and one whose worker died mid-send is
reconciled with the provider before anything is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql import ColumnElement

from portal.clients.job_queue import (
    QUEUE_IMPORTS,
    QUEUE_NOTIFY,
    QUEUE_PERIODIC,
    after_commit,
    after_commit_batched,
    dispatch,
)
from portal.clients.messaging import ConsoleClient
from portal.clients.twilio_provider import SMS_VALIDITY_SECONDS
from portal.extensions import db
from portal.jobs.summaries import refresh_summaries
from portal.models import ImportRun, MessageChannel, Notification, NotificationStatus
from portal.services.outbound.notifications import DELIVER_MANY

log = logging.getLogger(__name__)
S = NotificationStatus
#: Twilio drops an SMS it could not deliver within the validity period; its final receipt
#: follows within minutes, so silence after this long means the receipt is lost.
SMS_RECEIPT_WAIT = timedelta(seconds=SMS_VALIDITY_SECONDS) + timedelta(minutes=30)
#: A call rings, plays and hangs up within minutes.
CALL_RECEIPT_WAIT = timedelta(minutes=30)
#: `skip_reason` of a message failed because no final receipt ever came.
NO_RECEIPT = "no_receipt"
BATCH = 500


def requeue_stuck() -> int:
    """Send again messages still `created` with no hold: their job was lost (queue down)."""
    stuck_before = datetime.now(UTC) - setting("MESSAGE_STUCK_SECONDS")
    return _requeue(
        and_(Notification.send_after.is_(None), Notification.created_at <= stuck_before)
    )


def send_deferred() -> int:
    """Send messages whose hold is over (quiet hours ended, a retry's back-off passed)."""
    return _requeue(Notification.send_after <= datetime.now(UTC))


def requeue_notifications() -> int:
    """Both sweeps of `created` rows at once (what an operator wants after an outage)."""
    return requeue_stuck() + send_deferred()


def requeue_unsent() -> int:
    """Send every `created` message that is due now, however new (after a Redis outage).

    The scheduler enqueues this on its first tick after Redis failed: messages filed meanwhile
    (and jobs lost with a restarted Redis) go out at once instead of after the stuck threshold.
    A row queued twice is sent once (`deliver` claims its rows).
    """
    now = datetime.now(UTC)
    due = or_(Notification.send_after.is_(None), Notification.send_after <= now)
    total, after_id = 0, 0
    while True:
        ids = _requeue_ids(and_(due, Notification.id > after_id))
        total += len(ids)
        if len(ids) < BATCH:
            return total
        after_id = ids[-1]


def setting(name: str) -> timedelta:
    """A duration setting in seconds (portal/config.py), read when the sweep runs:
    MESSAGE_STUCK_SECONDS, a `created` row without a hold this old was never picked up (the
    queue was down); MESSAGE_SENDING_TIMEOUT_SECONDS, a `sending` row this old lost its worker
    mid-send (a send takes seconds)."""
    return timedelta(seconds=current_app.config[name])


def _requeue(condition: ColumnElement[bool]) -> int:
    return len(_requeue_ids(condition))


def _requeue_ids(condition: ColumnElement[bool]) -> list[int]:
    """Queue a batch of due `created` rows matching `condition`, oldest first; their ids."""
    ids = list(
        db.session.scalars(
            select(Notification.id)
            .where(Notification.status == S.CREATED, condition)
            .order_by(Notification.id)
            .limit(BATCH)
        )
    )
    for notification_id in ids:
        after_commit_batched(db.session, QUEUE_NOTIFY, DELIVER_MANY, notification_id)
    db.session.commit()
    return ids


def time_out_receipts() -> int:
    """Fail sent messages whose final receipt never came, and start their fallback chain.

    The console provider has no receipts to wait for, so its messages are left alone.
    """
    from portal.services.outbound.fallback import fall_back

    now = datetime.now(UTC)
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.status == S.SENT, Notification.provider != ConsoleClient.name)
        .where(
            or_(
                _sent_before(MessageChannel.SMS, now - SMS_RECEIPT_WAIT),
                _sent_before(MessageChannel.VOICE, now - CALL_RECEIPT_WAIT),
            )
        )
        .order_by(Notification.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)  # a receipt arriving now wins; the next sweep sees it
    ).all()
    for row in rows:
        row.status = S.FAILED
        row.skip_reason = NO_RECEIPT
        row.status_at = now
        fall_back(db.session, row, reason=NO_RECEIPT, now=now)
    db.session.commit()
    if rows:
        log.warning("receipts timed out", extra={"count": len(rows)})
    return len(rows)


def apply_kept_receipts() -> int:
    """Apply receipts that came before their message had its reference (services.receipts)."""
    from portal.services.outbound.receipts import apply_kept

    applied = apply_kept(db.session, now=datetime.now(UTC))
    db.session.commit()
    return applied


def _sent_before(channel: MessageChannel, moment: datetime) -> ColumnElement[bool]:
    return and_(Notification.channel == channel, Notification.sent_at <= moment)


def send_started() -> ColumnElement[datetime]:
    """When a `sending` row's current try began (its claim; before claims were recorded, its
    creation): the one reckoning of a stuck send, here and in /healthz/messages."""
    return func.coalesce(Notification.claimed_at, Notification.created_at)


def reclaim_interrupted_sends() -> int:
    """Put messages whose worker died mid-send back in the queue, marked ambiguous.

    The provider may or may not have the message: `deliver` asks it first (the AMBIGUOUS
    mark) and sends only if it does not. The hold keeps a send that is merely slow from
    being raced by a second one.
    """
    from portal.jobs.send_results import AMBIGUOUS

    now = datetime.now(UTC)
    timeout = setting("MESSAGE_SENDING_TIMEOUT_SECONDS")
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.status == S.SENDING, send_started() <= now - timeout)
        .order_by(Notification.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status = S.CREATED
        row.last_error = AMBIGUOUS + "the worker stopped during the send"
        row.send_after = now + setting("MESSAGE_STUCK_SECONDS")
    db.session.commit()
    if rows:
        log.warning("interrupted sends reclaimed", extra={"count": len(rows)})
    return len(rows)


#: An import being checked or applied silent this long lost its worker: the scheduler starts
#: it again.
IMPORT_SILENT_AFTER = timedelta(minutes=10)


def resume_imports() -> int:
    """Re-enqueue survey imports whose job died mid-way: a dry run starts over, applying
    resumes after the rows done."""
    from portal.jobs.imports import apply_import, check_import
    from portal.services.surveys.survey_import import APPLYING, CHECKING

    silent_since = datetime.now(UTC) - IMPORT_SILENT_AFTER
    runs = db.session.execute(
        select(ImportRun.id, ImportRun.status).where(
            ImportRun.status.in_((CHECKING, APPLYING)),
            or_(ImportRun.progress_at.is_(None), ImportRun.progress_at < silent_since),
        )
    ).all()
    for run_id, status in runs:
        job = check_import if status == CHECKING else apply_import
        after_commit(db.session, QUEUE_IMPORTS, job, run_id)
    db.session.commit()
    return len(runs)


def forget_old_drafts() -> int:
    """Remove form drafts nobody came back for within a week."""
    from portal.services.cases.drafts import purge_drafts

    removed = purge_drafts(db.session, datetime.now(UTC))
    db.session.commit()
    return removed


def sla_sweep() -> int:
    """Warn and escalate cases whose next SLA check has come (see services.sweep)."""
    from portal.services.cases.sweep import sweep

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


#: What the scheduler runs every interval, in this order.
PERIODIC_JOBS: tuple[Callable[[], int], ...] = (
    sla_sweep,
    reclaim_interrupted_sends,
    requeue_stuck,
    send_deferred,
    apply_kept_receipts,
    time_out_receipts,
    resume_imports,
    forget_old_drafts,
    refresh_summaries,
)


def enqueue_periodic() -> None:
    """Hand each periodic job to the periodic queue (or run it now without Redis)."""
    for job in PERIODIC_JOBS:
        dispatch(QUEUE_PERIODIC, job, ())
