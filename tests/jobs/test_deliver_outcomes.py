"""What deliver does with each answer from Twilio (the real SDK against the fake server)."""

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import fakeredis
import pytest
import time_machine
from sqlalchemy import select

from portal.clients.twilio_provider import TwilioClient
from portal.extensions import db
from portal.jobs.deliver import MAX_ATTEMPTS, deliver, deliver_many
from portal.models import MessageChannel, Notification, NotificationStatus, Resident, Role
from portal.models.notification import CallBack
from portal.services.notifications import queue_message
from tests import fake_twilio
from tests.factories import create_case, create_guardianship, create_resident, create_user

SID = "AC" + "0" * 32
TO = "+8613800001234"


@pytest.fixture
def fake() -> Iterator[fake_twilio.FakeTwilio]:
    server = fake_twilio.start()
    yield server
    server.stop()


@pytest.fixture
def twilio(app, fake) -> Iterator[TwilioClient]:
    client = TwilioClient(
        account_sid=SID,
        auth_token="secret",
        from_number="+15005550006",
        public_base_url="https://wenxu.example",
        api_base_url=fake.url,
        timeout=0.5,
    )
    app.extensions["messaging"], console = client, app.extensions["messaging"]
    yield client
    app.extensions["messaging"] = console


def _acknowledge(**kw) -> Notification:
    resident = create_resident(
        phone=TO, disability_category=4, quiet_hours_start=time(0), quiet_hours_end=time(0), **kw
    )
    create_case(resident)
    db.session.commit()
    [row] = db.session.scalars(select(Notification)).all()
    return row


def _reload(row_id: int) -> Notification:
    db.session.expire_all()
    row = db.session.get(Notification, row_id)
    assert row is not None
    return row


def _retry(row_id: int) -> Notification:
    """Run the job again once its back-off has passed (what the sweep does)."""
    row = _reload(row_id)
    with time_machine.travel(row.send_after + timedelta(seconds=1)):
        deliver(row_id)
    return _reload(row_id)


def test_a_send_is_recorded_with_twilios_reference(fake, twilio):
    row = _acknowledge()
    assert (row.status, row.provider, row.attempts) == (NotificationStatus.SENT, "twilio", 1)
    assert row.provider_ref == fake.messages[0]["sid"]


def test_a_job_run_twice_calls_twilio_once(fake, twilio):
    row = _acknowledge()
    deliver(row.id)
    deliver(row.id)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, None)])
def test_retryable_errors_are_retried_then_given_up_with_one_fallback(fake, twilio, status, code):
    guardian = create_user(Role.GUARDIAN)
    fake.fail_next(status, code, times=MAX_ATTEMPTS)
    row = _acknowledge()
    create_guardianship(guardian, db.session.get(Resident, row.resident_id))
    db.session.commit()
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        assert row.status == NotificationStatus.CREATED
        waits.append(row.send_after - datetime.now(UTC))
        row = _retry(row.id)
    assert row.status == NotificationStatus.FAILED and row.attempts == MAX_ATTEMPTS
    assert row.error_code == (str(code) if code else None)
    assert all(timedelta(0) <= wait <= timedelta(hours=1) for wait in waits)
    deliver(row.id)  # a late duplicate job changes nothing
    [copy] = db.session.scalars(select(Notification).filter_by(fallback_of_id=row.id)).all()
    assert copy.to_phone == guardian.phone and copy.template == "guardian_copy"
    assert [r["form"]["To"] for r in fake.requests].count(TO) == MAX_ATTEMPTS


def test_a_permanent_error_fails_at_once_and_asks_staff_to_call(fake, twilio):
    fake.fail_next(400, 21211)
    row = _acknowledge()
    assert (row.status, row.error_code, row.attempts) == (NotificationStatus.FAILED, "21211", 1)
    [task] = db.session.scalars(select(CallBack)).all()
    assert task.notification_id == row.id and task.reason == "unreachable"


def test_a_carrier_opt_out_marks_the_resident_opted_out(fake, twilio):
    fake.fail_next(400, 21610)
    row = _acknowledge()
    assert (row.status, row.skip_reason) == (NotificationStatus.SKIPPED, "opted_out_at_provider")
    assert db.session.get(Resident, row.resident_id).opted_out_at is not None
    assert db.session.scalars(select(CallBack)).all() == []
    assert db.session.scalars(select(Notification).filter_by(fallback_of_id=row.id)).all() == []


def test_a_timeout_is_reconciled_and_not_sent_again(fake, twilio):
    fake.stall_next(1.5)
    row = _acknowledge()
    assert row.last_error.startswith("ambiguous")
    row = _retry(row.id)
    assert len(fake.messages) == 1 and row.provider_ref == fake.messages[0]["sid"]


def test_a_timeout_not_found_is_sent_exactly_once_more(fake, twilio):
    fake.stall_next(1.5)
    row = _acknowledge()
    fake.messages.clear()
    row = _retry(row.id)
    deliver(row.id)
    assert len(fake.messages) == 1 and row.status == NotificationStatus.SENT


def test_a_rate_limited_send_waits_its_turn_without_using_a_try(app, fake, twilio):
    app.extensions["redis"] = fakeredis.FakeRedis()
    app.config["TWILIO_SENDS_PER_SECOND"] = 0.01  # one token, the next in 100 s
    try:
        first = _acknowledge()
        assert first.status == NotificationStatus.CREATED  # queued for a worker
        deliver(first.id)
        create_case(db.session.get(Resident, first.resident_id))
        db.session.commit()
        second = db.session.scalars(select(Notification).where(Notification.id != first.id)).one()
        deliver(second.id)
        second = _reload(second.id)
        assert (second.status, second.attempts) == (NotificationStatus.CREATED, 0)
        assert second.send_after is not None and len(fake.messages) == 1
    finally:
        del app.extensions["redis"]
        app.config["TWILIO_SENDS_PER_SECOND"] = 10.0


def test_one_failure_in_a_batch_is_retried_while_the_others_are_recorded_sent(twilio, fake):
    resident = create_resident(phone=TO, disability_category=4)
    db.session.commit()
    fake.fail_next(503, 20500)
    for i in range(6):
        queue_message(
            db.session,
            dedupe_key=f"batch:{i}",
            channel=MessageChannel.SMS,
            resident_id=resident.id,
            template="case_resumed",
            params={"reference": f"26110000{i}", "due": "2026-12-01 17:30"},
            to_phone=TO,
            created_at=datetime.now(UTC),
        )
    db.session.commit()  # one batch job, run inline: six sends side by side, one answered 503
    rows = db.session.scalars(select(Notification)).all()
    assert sorted(r.status for r in rows).count(NotificationStatus.SENT) == 5
    [retry] = [r for r in rows if r.status == NotificationStatus.CREATED]
    assert retry.attempts == 1 and retry.send_after is not None and retry.error_code == "20500"
    assert len(fake.messages) == 5
    deliver_many([r.id for r in rows])  # the same job again: nothing is due, nothing is sent
    assert len(fake.messages) == 5
