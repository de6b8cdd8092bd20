"""The scheduler's sweeps: nothing the notification pipeline starts ends silently."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import periodic
from portal.jobs.deliver import AMBIGUOUS
from portal.models import MessageChannel, Notification, NotificationStatus
from portal.models.notification import CallBack
from tests.factories import create_resident

pytestmark = pytest.mark.usefixtures("app")
S = NotificationStatus
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def message(channel=MessageChannel.SMS, **columns) -> Notification:
    resident = create_resident(quiet_hours_start=time(0), quiet_hours_end=time(0))
    row = Notification(
        dedupe_key=f"event:{resident.id}:{channel}",
        resident_id=resident.id,
        channel=channel,
        to_phone=resident.phone,
        template="case_resumed",
        params={"reference": "261100042", "due": "2026-12-17 17:30"},
        language="zh_CN",
        created_at=NOW,
        **columns,
    )
    db.session.add(row)
    db.session.commit()
    return row


def reread(row: Notification) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, row.id)


def went_out(row: Notification) -> bool:
    """Handed to the provider (the console provider records a simulated receipt at once)."""
    return reread(row).status in (S.SENT, S.DELIVERED)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def test_a_message_the_queue_lost_is_sent_once_it_is_stuck():
    row = message(status=S.CREATED)
    with at(NOW + periodic.setting("MESSAGE_STUCK_SECONDS") - timedelta(seconds=1)):
        assert periodic.requeue_stuck() == 0  # its job may still be on the way
    with at(NOW + periodic.setting("MESSAGE_STUCK_SECONDS")):
        assert periodic.requeue_stuck() == 1
    assert went_out(row)


def test_a_held_message_waits_for_its_hold_and_not_for_the_stuck_sweep():
    row = message(status=S.CREATED, send_after=NOW + timedelta(hours=3))
    with at(NOW + timedelta(hours=1)):
        assert periodic.requeue_stuck() == 0
        assert periodic.send_deferred() == 0
    with at(NOW + timedelta(hours=3)):
        assert periodic.send_deferred() == 1
    assert went_out(row)


@pytest.mark.parametrize(
    ("channel", "wait"),
    [
        (MessageChannel.SMS, periodic.SMS_RECEIPT_WAIT),
        (MessageChannel.VOICE, periodic.CALL_RECEIPT_WAIT),
    ],
)
def test_a_message_without_a_final_receipt_fails_and_falls_back_once(channel, wait):
    row = message(
        channel, status=S.SENT, provider="twilio", provider_ref="SM" + "7" * 32, sent_at=NOW
    )
    with at(NOW + wait - timedelta(minutes=1)):
        assert periodic.time_out_receipts() == 0
    with at(NOW + wait):
        assert periodic.time_out_receipts() == 1
        assert periodic.time_out_receipts() == 0  # failed rows are final: no second fallback
    row = reread(row)
    assert (row.status, row.skip_reason) == (S.FAILED, periodic.NO_RECEIPT)
    steps = db.session.scalar(
        select(func.count()).where(Notification.fallback_of_id == row.id)
    ) + db.session.scalar(select(func.count()).where(CallBack.notification_id == row.id))
    assert steps == 1


def test_delivered_and_console_messages_are_not_timed_out():
    delivered = message(
        status=S.DELIVERED, provider="twilio", provider_ref="SM1", sent_at=NOW, delivered_at=NOW
    )
    console = message(
        MessageChannel.VOICE, status=S.SENT, provider="console", provider_ref="c-1", sent_at=NOW
    )
    with at(NOW + timedelta(days=2)):
        assert periodic.time_out_receipts() == 0
    assert (reread(delivered).status, reread(console).status) == (S.DELIVERED, S.SENT)


def test_a_send_whose_worker_died_is_reconciled_before_any_resend():
    row = message(status=S.SENDING, attempts=1)
    with at(NOW + periodic.setting("MESSAGE_SENDING_TIMEOUT_SECONDS") - timedelta(seconds=1)):
        assert periodic.reclaim_interrupted_sends() == 0  # a send in progress is left alone
    reclaimed_at = NOW + periodic.setting("MESSAGE_SENDING_TIMEOUT_SECONDS")
    with at(reclaimed_at):
        assert periodic.reclaim_interrupted_sends() == 1
    row = reread(row)
    assert row.status == S.CREATED and row.last_error.startswith(AMBIGUOUS)
    assert row.send_after == reclaimed_at + periodic.setting("MESSAGE_STUCK_SECONDS")
    with at(row.send_after):
        assert periodic.send_deferred() == 1
    assert went_out(row)


def test_the_scheduler_runs_every_sweep_by_name():
    names = {job.__name__ for job in periodic.PERIODIC_JOBS}
    assert names == {
        "sla_sweep",
        "reclaim_interrupted_sends",
        "requeue_stuck",
        "send_deferred",
        "apply_kept_receipts",
        "time_out_receipts",
        "resume_imports",
        "forget_old_drafts",
        "refresh_summaries",
    }
