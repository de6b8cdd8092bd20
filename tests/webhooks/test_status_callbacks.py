"""POST /webhooks/twilio/status: receipts only move forward; a failure falls back once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import periodic
from portal.models import MessageChannel, Notification, NotificationStatus, ProviderReceipt, Role
from portal.models.notification import CallBack
from portal.services.outbound.receipts import UNMATCHED_AFTER, unmatched
from tests.factories import create_resident, create_user
from tests.html import ClientRequest
from tests.twilio_webhooks import signed_post

PATH = "/webhooks/twilio/status"
S = NotificationStatus


def sent_message(channel: MessageChannel = MessageChannel.SMS, ref: str = "SM" + "1" * 32):
    """A message Twilio accepted, waiting for its receipts."""
    resident = create_resident(
        phone="+8613912345678", quiet_hours_start=time(0), quiet_hours_end=time(0)
    )
    row = Notification(
        dedupe_key=f"case:1:received:{channel}",
        resident_id=resident.id,
        channel=channel,
        to_phone=resident.phone,
        template="case_resumed",
        params={"reference": "261100042", "due": "2026-12-17 17:30"},
        language="zh_CN",
        status=S.SENT,
        provider="twilio",
        provider_ref=ref,
        attempts=1,
        sent_at=datetime.now(UTC),
    )
    db.session.add(row)
    db.session.commit()
    return row


def sms_receipt(client, ref, status, error_code=None):
    params = {"MessageSid": ref, "SmsSid": ref, "MessageStatus": status, "AccountSid": "AC1"}
    if error_code:
        params["ErrorCode"] = error_code
    return signed_post(client, PATH, params)


def call_receipt(client, ref, status, answered_by=None):
    params = {"CallSid": ref, "CallStatus": status, "CallDuration": "17", "AccountSid": "AC1"}
    if answered_by:
        params["AnsweredBy"] = answered_by
    return signed_post(client, PATH, params)


def reread(row):
    db.session.expire_all()
    return db.session.get(Notification, row.id)


def fallbacks(row):
    messages = db.session.scalar(select(func.count()).where(Notification.fallback_of_id == row.id))
    tasks = db.session.scalar(select(func.count()).where(CallBack.notification_id == row.id))
    return messages + tasks


def test_an_sms_goes_from_queued_to_delivered(client):
    row = sent_message()
    for status in ("queued", "sent", "delivered"):
        assert sms_receipt(client, row.provider_ref, status).status_code == 204
    row = reread(row)
    assert (row.status, row.provider_status) == (S.DELIVERED, "delivered")
    assert row.delivered_at is not None and row.status_at is not None


def test_a_late_sent_never_overwrites_delivered(client):
    row = sent_message()
    sms_receipt(client, row.provider_ref, "delivered")
    delivered_at = reread(row).delivered_at
    sms_receipt(client, row.provider_ref, "sent")
    sms_receipt(client, row.provider_ref, "queued")
    row = reread(row)
    assert (row.status, row.provider_status, row.delivered_at) == (
        S.DELIVERED,
        "delivered",
        delivered_at,
    )


def test_read_after_delivered_is_kept(client):
    row = sent_message()
    sms_receipt(client, row.provider_ref, "delivered")
    sms_receipt(client, row.provider_ref, "read")
    assert (reread(row).status, reread(row).provider_status) == (S.DELIVERED, "read")


def test_an_undelivered_sms_fails_with_its_code_and_falls_back_once(client):
    row = sent_message()
    for _ in range(3):  # Twilio may repeat a callback
        assert sms_receipt(client, row.provider_ref, "undelivered", "30003").status_code == 204
    row = reread(row)
    assert (row.status, row.provider_status, row.error_code) == (S.FAILED, "undelivered", "30003")
    # No guardian: the chain's next step is a call-back task for staff, exactly one.
    assert fallbacks(row) == 1
    [task] = db.session.scalars(select(CallBack)).all()
    assert task.resident_id == row.resident_id


def test_a_delivered_receipt_after_a_failure_does_not_undo_the_fallback(client):
    row = sent_message()
    sms_receipt(client, row.provider_ref, "failed", "30005")
    sms_receipt(client, row.provider_ref, "delivered")
    assert reread(row).status == S.FAILED
    assert fallbacks(row) == 1


def test_an_answered_call_is_delivered(client):
    row = sent_message(MessageChannel.VOICE, "CA" + "2" * 32)
    for status in ("initiated", "ringing", "in-progress", "completed"):
        call_receipt(client, row.provider_ref, status, answered_by="human")
    row = reread(row)
    assert (row.status, row.provider_status) == (S.DELIVERED, "completed")
    assert fallbacks(row) == 0


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_an_unanswered_call_falls_back_to_one_sms(client, status):
    row = sent_message(MessageChannel.VOICE, "CA" + "3" * 32)
    call_receipt(client, row.provider_ref, "ringing")
    call_receipt(client, row.provider_ref, status)
    call_receipt(client, row.provider_ref, status)
    call_receipt(client, row.provider_ref, "completed")  # too late: the first final word stands
    row = reread(row)
    assert (row.status, row.provider_status) == (S.FAILED, status)
    [sms] = db.session.scalars(select(Notification).where(Notification.fallback_of_id == row.id))
    assert sms.channel == MessageChannel.SMS and sms.to_phone == row.to_phone
    assert fallbacks(row) == 1


def test_an_unknown_sid_changes_nothing(client):
    row = sent_message()
    assert sms_receipt(client, "SM" + "9" * 32, "failed").status_code == 204
    assert call_receipt(client, "CA" + "9" * 32, "busy").status_code == 204
    row = reread(row)
    assert (row.status, row.provider_status) == (S.SENT, None)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_an_unknown_status_changes_nothing(client):
    row = sent_message()
    assert sms_receipt(client, row.provider_ref, "teleported").status_code == 204
    assert reread(row).provider_status is None


def test_concurrent_failure_receipts_fall_back_once(app):
    """Two callbacks at the same moment take turns on the row lock: one fallback, no error."""
    ref = "CA" + "4" * 32
    row = sent_message(MessageChannel.VOICE, ref)
    start = threading.Barrier(2)
    answers: list[int] = []

    def post() -> None:
        client = app.test_client()
        start.wait()
        answers.append(call_receipt(client, ref, "no-answer").status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [204, 204]
    assert fallbacks(reread(row)) == 1


def named_receipt(client, row_id, ref, status):
    params = {"MessageSid": ref, "SmsSid": ref, "MessageStatus": status, "AccountSid": "AC1"}
    return signed_post(client, f"{PATH}/{row_id}", params)


def test_a_receipt_that_overtakes_the_send_finds_its_message_by_id(client):
    """Twilio's callback can come before the send's own answer: the id in its address says
    which message it is, and the message takes the receipt's reference."""
    row = sent_message()
    db.session.execute(
        Notification.__table__.update()
        .where(Notification.id == row.id)
        .values(status=S.SENDING.value, provider_ref=None, sent_at=None)
    )
    db.session.commit()
    assert named_receipt(client, row.id, "SM" + "7" * 32, "delivered").status_code == 204
    row = reread(row)
    assert (row.status, row.provider_ref) == (S.DELIVERED, "SM" + "7" * 32)
    assert row.sent_at is not None and row.delivered_at is not None


def test_a_receipt_for_an_unknown_reference_is_kept_and_applied_once_the_message_has_it(client):
    row = sent_message(ref="SM" + "2" * 32)
    late_ref = "SM" + "8" * 32
    assert sms_receipt(client, late_ref, "delivered").status_code == 204
    assert sms_receipt(client, late_ref, "delivered").status_code == 204  # Twilio retried it
    [kept] = db.session.scalars(select(ProviderReceipt)).all()
    assert (kept.raw_status, kept.applied_at) == ("delivered", None)
    assert periodic.apply_kept_receipts() == 0  # no message has that reference yet
    db.session.execute(
        Notification.__table__.update()
        .where(Notification.id == row.id)
        .values(provider_ref=late_ref)
    )
    db.session.commit()
    assert periodic.apply_kept_receipts() == 1
    assert reread(row).status == S.DELIVERED
    assert periodic.apply_kept_receipts() == 0  # applied once


def test_a_receipt_for_a_second_send_of_a_message_is_kept_apart_and_shown(client, app):
    """Twilio holding two sends of one message is a duplicate: its receipts never count as
    the first send's, and administrators see them in the outbox."""
    row = sent_message(ref="SM" + "3" * 32)
    assert named_receipt(client, row.id, "SM" + "4" * 32, "failed").status_code == 204
    row = reread(row)
    assert (row.status, fallbacks(row)) == (S.SENT, 0)
    [kept] = db.session.scalars(select(ProviderReceipt)).all()
    assert kept.named_id == row.id
    assert unmatched(db.session, now=datetime.now(UTC)) == []  # it may still match
    kept.created_at = datetime.now(UTC) - UNMATCHED_AFTER - timedelta(minutes=1)
    db.session.commit()
    assert [r.provider_ref for r in unmatched(db.session, now=datetime.now(UTC))] == [
        kept.provider_ref
    ]
    page = ClientRequest(app.test_client())
    page.login(create_user(Role.ADMIN))
    soup = page.get("/admin/outbox")
    [table] = [t for t in soup.select("table") if "SM" + "4" * 32 in t.get_text()]
    assert f"#message-{row.id}" in str(table)
