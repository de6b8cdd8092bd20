"""The staff outbox shows each message's whole life: receipt, error, reason, tries, fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.extensions import db
from portal.jobs.periodic import NO_RECEIPT
from portal.models import MessageChannel, Notification, NotificationStatus, Role
from tests.factories import create_area, create_resident, create_user

S = NotificationStatus
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def village():
    return create_area("511321101201")


def message(resident, key, **columns):
    row = Notification(
        dedupe_key=key,
        resident_id=resident.id,
        to_phone=resident.phone,
        template="case_resumed",
        params={"reference": "261100042", "due": "2026-12-17 17:30"},
        body="问需：您的事项 261100042 已恢复办理。",
        created_at=NOW,
        **{"channel": MessageChannel.SMS, "attempts": 1, **columns},
    )
    db.session.add(row)
    db.session.flush()
    return row


def row_of(page, row: Notification):
    return page.find("tr", id=f"message-{row.id}")


def open_outbox(client_request, village, locale="en"):
    staff = create_user(Role.VILLAGE_WORKER, area_id=village.id)
    db.session.commit()
    client_request.login(staff)
    client_request.set_locale(locale)
    return client_request.get("/admin/outbox")


def test_a_failed_call_shows_why_and_its_fallback_links_back(client_request, village):
    resident = create_resident(village)
    call = message(
        resident,
        "e:voice",
        channel=MessageChannel.VOICE,
        status=S.FAILED,
        provider="twilio",
        provider_status="no-answer",
        status_at=NOW,
        attempts=2,
    )
    sms = message(
        resident,
        "e:fb:sms",
        status=S.FAILED,
        provider="twilio",
        provider_status="undelivered",
        error_code="30003",
        status_at=NOW,
        fallback_of_id=call.id,
    )
    page = open_outbox(client_request, village)
    call_row, sms_row = row_of(page, call), row_of(page, sms)
    assert call_row.find("th", scope="row").get_text(strip=True) == str(call.id)
    assert "Why: nobody answered" in call_row.get_text()
    assert "no-answer" in call_row.get_text() and call_row.find("time", datetime=NOW.isoformat())
    assert [td.get_text(strip=True) for td in call_row.find_all("td")][5] == "2"
    assert "Why: the phone was switched off or out of reach" in sms_row.get_text()
    assert "Error code 30003" in sms_row.get_text()
    link = sms_row.find("a", string=f"Fallback for message {call.id}")
    assert link["href"] == f"#message-{call.id}"


def test_a_message_with_no_receipt_says_so(client_request, village):
    row = message(
        create_resident(village),
        "e:sms",
        status=S.FAILED,
        provider="twilio",
        skip_reason=NO_RECEIPT,
        sent_at=NOW,
    )
    page = open_outbox(client_request, village)
    assert "Why: no delivery report came back in time" in row_of(page, row).get_text()


def test_console_receipts_say_they_are_simulated(client_request, village):
    row = message(
        create_resident(village),
        "e:sms",
        status=S.DELIVERED,
        provider="console",
        provider_status="delivered",
        status_at=NOW,
    )
    page = open_outbox(client_request, village)
    text = row_of(page, row).get_text()
    assert "Simulated: the console provider sends nothing" in text and "Why" not in text
