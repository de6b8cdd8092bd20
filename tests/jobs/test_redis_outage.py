"""Done when: with Redis stopped a complaint is still filed, and its acknowledgement reaches the
resident exactly once after Redis is back; a delivery job run twice calls Twilio once.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import time_machine
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from portal.clients.job_queue import QUEUE_NOTIFY, QUEUES
from portal.extensions import db
from portal.jobs.deliver import deliver
from portal.jobs.periodic import enqueue_periodic
from portal.models import Case, NeedItem, Notification, NotificationStatus
from tests.factories import create_case, create_resident, create_resident_user
from tests.jobs.conftest import DOWN

PHONE = "+8613912340000"
#: A resident who reads texts (physical disability: SMS), with quiet hours that never apply.
TEXTER = {"disability_category": 4, "quiet_hours_start": time(0), "quiet_hours_end": time(0)}


def work(connection: Redis) -> None:
    """One worker run over every queue until they are empty."""
    queues = [Queue(name, connection=connection) for name in QUEUES]
    SimpleWorker(queues, connection=connection).work(burst=True)


def file_complaint(client_request) -> None:
    user, _ = create_resident_user(phone=PHONE, **TEXTER)
    db.session.commit()
    client_request.login(user)
    category = db.session.scalar(select(NeedItem.code).where(NeedItem.kind != "status").limit(1))
    client_request.post(
        "/cases/new",
        {"case_type": "complaint", "category": category, "description": "路口的盲道被占用了"},
    )


def test_a_complaint_filed_while_redis_is_down_is_acknowledged_once_it_is_back(
    app, client_request, redis_conn, twilio
):
    app.extensions["redis"] = Redis.from_url(DOWN, socket_connect_timeout=0.2)
    try:
        file_complaint(client_request)  # the page answers: a redirect to the new case
        case = db.session.scalars(select(Case)).one()
        assert client_request.response.location == f"/cases/{case.id}"
        [ack] = db.session.scalars(select(Notification)).all()
        assert (ack.case_id, ack.status) == (case.id, NotificationStatus.CREATED)
        ack_id, reference = ack.id, case.reference
        assert twilio.messages == []
    finally:
        app.extensions["redis"] = redis_conn  # Redis is back
    try:
        for _ in range(2):  # two scheduler ticks, each followed by a worker run
            with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
                enqueue_periodic()
                work(redis_conn)
    finally:
        del app.extensions["redis"]
    assert [m["to"] for m in twilio.messages] == [PHONE]
    assert reference in twilio.messages[0]["body"]
    row = db.session.get(Notification, ack_id)
    assert row.status == NotificationStatus.SENT and row.provider_ref == twilio.messages[0]["sid"]


def test_a_delivery_job_run_twice_calls_twilio_once(rq_mode, twilio):
    create_case(create_resident(phone=PHONE, **TEXTER))
    db.session.commit()  # enqueues deliver once
    [row] = db.session.scalars(select(Notification)).all()
    row_id = row.id
    Queue(QUEUE_NOTIFY, connection=rq_mode).enqueue(deliver, row_id)  # and once more
    work(rq_mode)
    assert len(twilio.requests) == 1
    assert db.session.get(Notification, row_id).attempts == 1


def test_running_deliver_directly_twice_calls_twilio_once(app, twilio):
    app.extensions["redis"] = Redis.from_url(DOWN, socket_connect_timeout=0.2)
    try:
        create_case(create_resident(phone=PHONE, **TEXTER))
        db.session.commit()  # the enqueue fails: the row waits
    finally:
        del app.extensions["redis"]
    [row] = db.session.scalars(select(Notification)).all()
    for _ in range(2):
        deliver(row.id)
    assert len(twilio.requests) == 1
