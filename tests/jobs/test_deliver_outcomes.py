"""What deliver does with each answer from Twilio (the real SDK against the fake server)."""

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import fakeredis
import pytest
import time_machine
from sqlalchemy import select

from portal.clients.twilio_provider import TwilioClient
from portal.extensions import db
from portal.jobs.deliver import deliver, deliver_many
from portal.models import MessageChannel, Notification, NotificationStatus, Resident, Role
from portal.models.notification import CallBack
from portal.services.outbound.notifications import queue_message
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
    kw.setdefault("disability_category", 4)  # physical: a text message
    resident = create_resident(phone=TO, quiet_hours_start=time(0), quiet_hours_end=time(0), **kw)
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
def test_retryable_errors_are_retried_for_hours_then_fall_back_once(fake, twilio, status, code):
    """A Twilio outage of hours is ridden out (MESSAGE_RETRY_HOURS, 6 by default) before the
    fallback chain starts; each wait is at least half its back-off step and at most the cap."""
    guardian = create_user(Role.GUARDIAN)
    fake.fail_next(status, code, times=1000)
    row = _acknowledge()
    created = row.created_at
    create_guardianship(guardian, db.session.get(Resident, row.resident_id))
    db.session.commit()
    tries, tried_at = 1, datetime.now(UTC)
    while row.status == NotificationStatus.CREATED:
        wait = row.send_after - tried_at
        assert timedelta(seconds=14) <= wait <= timedelta(minutes=15, seconds=1)
        tried_at = row.send_after + timedelta(seconds=1)
        row = _retry(row.id)
        tries += 1
    assert row.status == NotificationStatus.FAILED and row.attempts == tries
    assert code is None or row.error_code == str(code)
    assert tries > 20  # not five tries in a few minutes
    deliver(row.id)  # a late duplicate job changes nothing
    [copy] = db.session.scalars(select(Notification).filter_by(fallback_of_id=row.id)).all()
    assert copy.to_phone == guardian.phone and copy.template == "guardian_copy"
    sends = [r for r in fake.requests if r["form"].get("To") == TO and "Body" in r["form"]]
    assert len(sends) == tries
    assert copy.created_at - created >= timedelta(hours=6)


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


def test_a_timed_out_call_is_found_and_never_placed_twice(fake, twilio):
    """A call whose answer never came is looked for in Twilio's call list before any retry
    (the old reconciliation covered texts only, and a resident was called twice)."""
    fake.stall_next(1.5)
    row = _acknowledge(disability_category=1)  # blind: a voice call first
    assert row.channel == MessageChannel.VOICE and row.last_error.startswith("ambiguous")
    row = _retry(row.id)
    assert len(fake.calls) == 1 and row.provider_ref == fake.calls[0]["sid"]
    assert row.status == NotificationStatus.SENT


@pytest.mark.parametrize("stored", [True, False])
def test_a_connection_dropped_after_the_request_was_written_is_looked_for_first(
    fake, twilio, stored
):
    fake.drop_next(store=stored)
    row = _acknowledge()
    assert row.status == NotificationStatus.CREATED and row.last_error.startswith("ambiguous")
    row = _retry(row.id)
    assert len(fake.messages) == 1 and row.provider_ref == fake.messages[0]["sid"]
    posts = [e for e in fake.log if e["method"] == "POST"]
    assert len(posts) == (1 if stored else 2)  # found: not sent again; not found: once more


def test_an_ambiguous_try_stays_ambiguous_after_a_plain_failure(fake, twilio):
    """A timeout, then a 429: the timed-out try may still have gone, so the third try looks
    for it too instead of sending blind."""
    fake.stall_next(1.5)
    row = _acknowledge()
    first = fake.messages.pop()  # Twilio is slow to list it...
    fake.fail_next(429, 20429)
    row = _retry(row.id)  # ...so the second try, finding nothing, sends: refused with 429
    assert row.status == NotificationStatus.CREATED and row.last_error.startswith("ambiguous")
    fake.messages.append(first)  # now Twilio lists the first one
    row = _retry(row.id)
    assert row.status == NotificationStatus.SENT and row.provider_ref == first["sid"]
    assert len([e for e in fake.log if e["method"] == "POST"]) == 2  # no third send


def test_a_found_message_is_not_mistaken_for_another_rows_message(fake, twilio):
    """Two rows with the same words to one phone: a lost try is matched only to a message no
    other row has claimed."""
    resident = create_resident(phone=TO, disability_category=4)
    db.session.commit()
    for key in ("same:1", "same:2"):
        queue_message(
            db.session,
            dedupe_key=key,
            channel=MessageChannel.SMS,
            resident_id=resident.id,
            template="case_resumed",
            params={"reference": "261100001", "due": "2026-12-01 17:30"},
            to_phone=TO,
            created_at=datetime.now(UTC),
        )
        if key == "same:2":
            fake.stall_next(1.5)
        db.session.commit()
    first, second = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert first.status == NotificationStatus.SENT and second.last_error.startswith("ambiguous")
    fake.messages.pop()  # Twilio never made the second one after all
    second = _retry(second.id)
    assert len(fake.messages) == 2 and second.provider_ref != first.provider_ref
    assert second.provider_ref == fake.messages[1]["sid"]


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
        app.config["TWILIO_SENDS_PER_SECOND"] = None


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
