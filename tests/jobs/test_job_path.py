"""The real job path: inline after commit without Redis, through RQ with it."""

from datetime import UTC, datetime, time, timedelta

import fakeredis
import pytest
import time_machine
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from portal.clients.job_queue import QUEUE_NOTIFY
from portal.extensions import db
from portal.jobs.deliver import deliver
from portal.jobs.periodic import requeue_notifications
from portal.models import Channel, MessageChannel, Notification, NotificationStatus
from portal.services.outbound.notifications import queue_messages
from tests.conftest import redis_url
from tests.factories import create_case, create_resident

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def redis_conn():
    url = redis_url()
    connection = Redis.from_url(url) if url else fakeredis.FakeRedis()
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def rq_mode(app, redis_conn):
    app.extensions["redis"] = redis_conn
    yield redis_conn
    del app.extensions["redis"]


def _status(notification_id):
    db.session.expire_all()
    return db.session.get(Notification, notification_id).status


def test_without_redis_the_message_is_sent_inline_after_commit():
    create_case(create_resident())
    [message] = db.session.scalars(select(Notification)).all()
    assert message.status == NotificationStatus.CREATED  # nothing runs before commit
    db.session.commit()
    assert _status(message.id) == NotificationStatus.DELIVERED


def test_a_rolled_back_case_sends_nothing():
    create_case(create_resident())
    db.session.rollback()
    db.session.commit()
    assert db.session.scalars(select(Notification)).all() == []


def test_with_redis_the_message_waits_for_a_worker(rq_mode):
    create_case(create_resident())
    db.session.commit()
    [message_id] = db.session.scalars(select(Notification.id)).all()
    queue = Queue(QUEUE_NOTIFY, connection=rq_mode)
    assert queue.count == 1
    assert _status(message_id) == NotificationStatus.CREATED
    SimpleWorker([queue], connection=rq_mode).work(burst=True)
    assert _status(message_id) == NotificationStatus.DELIVERED


def test_flask_jobs_worker_runs_the_queue(app, rq_mode):
    """`flask jobs worker --burst`, the worker we ship, against real Redis in CI. It forks no
    work horse, so it runs on fakeredis too (which lives in this process)."""
    create_case(create_resident())
    db.session.commit()
    [message_id] = db.session.scalars(select(Notification.id)).all()
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert _status(message_id) == NotificationStatus.DELIVERED
    assert Queue(QUEUE_NOTIFY, connection=rq_mode).finished_job_registry.count == 1


def _message(number: int, resident) -> dict:
    return {
        "dedupe_key": f"burst:{number}",
        "channel": MessageChannel.SMS,
        "resident_id": resident.id,
        "template": "case_ack",
        "params": {"case_type": "help", "reference": f"26110000{number}", "due": "12-01"},
        "language": resident.language,
        "to_phone": resident.phone,
        "created_at": datetime.now(UTC),
    }


def test_a_burst_of_messages_is_written_at_once_and_each_sent_after_commit(rq_mode):
    residents = [
        create_resident(quiet_hours_start=time(0), quiet_hours_end=time(0)) for _ in range(3)
    ]
    ids = queue_messages(db.session, [_message(n, r) for n, r in enumerate(residents)])
    stored = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [row.id for row in stored] == ids
    assert [row.dedupe_key for row in stored] == ["burst:0", "burst:1", "burst:2"]
    queue = Queue(QUEUE_NOTIFY, connection=rq_mode)
    assert queue.count == 0  # nothing before commit
    db.session.commit()
    assert queue.count == 1  # the three in one job
    SimpleWorker([queue], connection=rq_mode).work(burst=True)
    assert [_status(i) for i in ids] == [NotificationStatus.DELIVERED] * 3


def test_a_rolled_back_burst_sends_nothing(rq_mode):
    queue_messages(db.session, [_message(0, create_resident())])
    db.session.rollback()
    db.session.commit()
    assert Queue(QUEUE_NOTIFY, connection=rq_mode).count == 0
    assert db.session.scalars(select(Notification)).all() == []


def test_healthz_reports_the_queue(client, rq_mode):
    assert client.get("/healthz").json["queue"] == "ok"


def test_a_queue_outage_delays_the_message_and_the_sweep_sends_it(app):
    app.extensions["redis"] = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        create_case(create_resident())
        db.session.commit()  # the enqueue fails; the request must not
        [message] = db.session.scalars(select(Notification)).all()
        assert _status(message.id) == NotificationStatus.CREATED
    finally:
        del app.extensions["redis"]
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
        assert requeue_notifications() == 1
    assert _status(message.id) == NotificationStatus.DELIVERED


def test_deliver_sends_once_however_often_it_runs():
    create_case(create_resident())
    db.session.commit()
    [message] = db.session.scalars(select(Notification)).all()
    sent_at = message.sent_at
    deliver(message.id)
    deliver(message.id)
    db.session.expire_all()
    assert db.session.get(Notification, message.id).sent_at == sent_at


def test_quiet_hours_hold_a_voice_call_until_morning():
    resident = create_resident(
        channel=Channel.VOICE, quiet_hours_start=time(21, 0), quiet_hours_end=time(8, 0)
    )
    # 22:30 in Shanghai is 14:30 UTC: inside the default 21:00–08:00 quiet hours.
    with time_machine.travel(datetime(2026, 11, 24, 14, 30, tzinfo=UTC), tick=False):
        create_case(resident, now=datetime.now(UTC))
        db.session.commit()
    [message] = db.session.scalars(select(Notification)).all()
    assert message.status == NotificationStatus.CREATED
    assert message.send_after == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # 08:00 local
    with time_machine.travel(datetime(2026, 11, 25, 0, 5, tzinfo=UTC), tick=False):
        assert requeue_notifications() == 1
    assert _status(message.id) == NotificationStatus.DELIVERED


def test_a_resident_who_chose_no_messages_gets_none_and_the_reason_is_kept():
    create_case(create_resident(channel=Channel.NONE))
    db.session.commit()
    [message] = db.session.scalars(select(Notification)).all()
    assert (message.status, message.skip_reason) == (NotificationStatus.SKIPPED, "opted_out")


def test_flask_jobs_scheduler_once_runs_the_sweeps_inline(app):
    app.extensions["redis"] = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        create_case(create_resident())
        db.session.commit()
    finally:
        del app.extensions["redis"]
    [message] = db.session.scalars(select(Notification)).all()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
        result = app.test_cli_runner().invoke(args=["jobs", "scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert _status(message.id) == NotificationStatus.DELIVERED


def test_flask_jobs_worker_without_redis_says_why(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in str(result.exception)


def test_the_messages_of_one_transaction_go_out_in_batches(rq_mode):
    from portal.clients.job_queue import BATCH_SIZE
    from portal.services.outbound.notifications import queue_message

    resident = create_resident()
    db.session.commit()
    count = BATCH_SIZE * 2 + 3
    for i in range(count):
        queue_message(
            db.session,
            dedupe_key=f"many:{i}",
            channel=MessageChannel.SMS,
            resident_id=resident.id,
            template="case_resumed",
            params={"reference": "261100042", "due": "2026-12-01 17:30"},
            to_phone=resident.phone,
            created_at=datetime.now(UTC),
        )
    db.session.commit()
    queue = Queue(QUEUE_NOTIFY, connection=rq_mode)
    assert queue.count == 3  # 50 + 50 + 3, not one job per message
    SimpleWorker([queue], connection=rq_mode).work(burst=True)
    db.session.expire_all()
    statuses = db.session.scalars(select(Notification.status)).all()
    assert statuses == [NotificationStatus.DELIVERED] * count
