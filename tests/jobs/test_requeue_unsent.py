"""After a Redis outage every due message is queued at once (`requeue_unsent`), and the sweeps'
thresholds are settings read when they run."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from rq import Queue

from portal.clients.job_queue import QUEUE_NOTIFY
from portal.extensions import db
from portal.jobs import periodic
from portal.models import MessageChannel, Notification, NotificationStatus
from tests.factories import create_resident

S = NotificationStatus
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def message(**columns) -> int:
    resident = create_resident(quiet_hours_start=time(0), quiet_hours_end=time(0))
    row = Notification(
        dedupe_key=f"event:{resident.id}",
        resident_id=resident.id,
        channel=MessageChannel.SMS,
        to_phone=resident.phone,
        template="case_resumed",
        params={"reference": "261100042", "due": "2026-12-17 17:30"},
        language="zh_CN",
        **{"created_at": NOW, **columns},
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def queued_ids(connection) -> list[int]:
    jobs = Queue(QUEUE_NOTIFY, connection=connection).jobs
    assert {job.func_name.rpartition(".")[2] for job in jobs} <= {"deliver_many"}
    return sorted(i for job in jobs for i in job.args[0])


def test_every_due_message_is_queued_however_new_in_batches(rq_mode, monkeypatch):
    monkeypatch.setattr(periodic, "BATCH", 2)
    due = [
        message(status=S.CREATED),  # filed a second ago: requeue_stuck would wait for it
        message(status=S.CREATED, created_at=NOW - timedelta(hours=1)),
        message(status=S.CREATED, send_after=NOW - timedelta(seconds=1)),  # hold just over
        message(status=S.CREATED, created_at=NOW - timedelta(minutes=1)),
        message(status=S.CREATED),
    ]
    message(status=S.CREATED, send_after=NOW + timedelta(hours=3))  # held: quiet hours
    message(status=S.SENDING)
    message(status=S.SENT, sent_at=NOW)
    Queue(QUEUE_NOTIFY, connection=rq_mode).empty()  # the jobs their commits queued
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        assert periodic.requeue_unsent() == 5
    assert queued_ids(rq_mode) == sorted(due)


def test_the_stuck_threshold_is_a_setting(app, rq_mode, monkeypatch):
    monkeypatch.setitem(app.config, "MESSAGE_STUCK_SECONDS", 30)
    row_id = message(status=S.CREATED)
    Queue(QUEUE_NOTIFY, connection=rq_mode).empty()
    with time_machine.travel(NOW + timedelta(seconds=29), tick=False):
        assert periodic.requeue_stuck() == 0
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert periodic.requeue_stuck() == 1
    assert queued_ids(rq_mode) == [row_id]


@pytest.mark.usefixtures("rq_mode")
def test_the_sending_timeout_is_a_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "MESSAGE_SENDING_TIMEOUT_SECONDS", 60)
    monkeypatch.setitem(app.config, "MESSAGE_STUCK_SECONDS", 30)
    row_id = message(status=S.SENDING, attempts=1)
    with time_machine.travel(NOW + timedelta(seconds=59), tick=False):
        assert periodic.reclaim_interrupted_sends() == 0
    with time_machine.travel(NOW + timedelta(seconds=60), tick=False):
        assert periodic.reclaim_interrupted_sends() == 1
    db.session.expire_all()
    row = db.session.get(Notification, row_id)
    assert row.status == S.CREATED
    assert row.send_after == NOW + timedelta(seconds=60 + 30)  # held for the stuck threshold
