"""Webhooks take a request only when X-Twilio-Signature matches the URL Twilio called.

The query string is percent-encoded Chinese on purpose: Werkzeug decodes it in `request.url`,
so a check against that URL would refuse every genuine request carrying one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from twilio.request_validator import RequestValidator

from portal.extensions import db
from portal.models import MessageChannel, Notification, NotificationStatus
from tests.factories import create_resident
from tests.twilio_webhooks import BASE, TOKEN, signature_for, signed_post

PATH = "/webhooks/twilio/status"
QUERY = "note=%E4%BD%A0%E5%A5%BD"  # 你好
REF = "SM" + "5" * 32
RECEIPT = {"MessageSid": REF, "MessageStatus": "delivered", "AccountSid": "AC1"}


@pytest.fixture
def message():
    resident = create_resident()
    row = Notification(
        dedupe_key="signature:sms",
        resident_id=resident.id,
        channel=MessageChannel.SMS,
        to_phone=resident.phone,
        template="case_resumed",
        params={"reference": "261100042", "due": "2026-12-17 17:30"},
        status=NotificationStatus.SENT,
        provider="twilio",
        provider_ref=REF,
        sent_at=datetime.now(UTC),
    )
    db.session.add(row)
    db.session.commit()
    return row


def _status(row):
    db.session.expire_all()
    return db.session.get(Notification, row.id).status


def test_a_valid_signature_over_the_raw_query_is_handled(client, message):
    response = signed_post(client, PATH, RECEIPT, query=QUERY)
    assert response.status_code == 204
    assert _status(message) == NotificationStatus.DELIVERED


def test_a_missing_signature_is_refused(client, message):
    response = client.post(f"{PATH}?{QUERY}", data=RECEIPT)
    assert response.status_code == 403
    assert _status(message) == NotificationStatus.SENT


def _signed(url: str, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, RECEIPT)


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda: _signed(f"{BASE}{PATH}?{QUERY}", "another-token"), id="wrong-token"),
        pytest.param(lambda: _signed(f"https://evil.example{PATH}?{QUERY}"), id="another-host"),
        pytest.param(lambda: _signed(f"{BASE}{PATH}?note=你好"), id="decoded-query"),
        pytest.param(lambda: signature_for(PATH, RECEIPT), id="without-the-query"),
        pytest.param(lambda: "not-a-signature", id="garbage"),
    ],
)
def test_a_wrong_signature_is_refused_and_changes_nothing(client, message, signature):
    response = signed_post(client, PATH, RECEIPT, query=QUERY, signature=signature())
    assert response.status_code == 403
    assert _status(message) == NotificationStatus.SENT


def test_changed_parameters_break_the_signature(client, message):
    good = signature_for(PATH, RECEIPT, QUERY)
    tampered = dict(RECEIPT, MessageStatus="failed")
    response = signed_post(client, PATH, tampered, query=QUERY, signature=good)
    assert response.status_code == 403
    assert _status(message) == NotificationStatus.SENT
