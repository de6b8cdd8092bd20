"""The outbound call: what Twilio is told to say, and what each key does."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    CallBack,
    Case,
    CaseStatus,
    MessageChannel,
    Notification,
    NotificationStatus,
    Rating,
    Resident,
)
from portal.services.outbound.messages import render
from tests.case_factories import create_resolved_case
from tests.factories import create_resident, create_resident_user
from tests.plan_factories import create_delivered_plan
from tests.twilio_webhooks import BASE, signed_post

_keys = itertools.count(1)


def _call(resident: Resident, template: str, params: dict[str, Any], **kw: Any) -> Notification:
    """A voice message already sent to `resident` (the deliver job stored its text)."""
    row = Notification(
        dedupe_key=f"{template}:{next(_keys)}:voice",
        resident_id=resident.id,
        channel=MessageChannel.VOICE,
        to_phone=resident.phone,
        template=template,
        params=params,
        language=resident.language,
        status=NotificationStatus.SENT,
        body=render(template, params, resident.language, "voice"),
        created_at=datetime.now(UTC),
        **kw,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _resolved_call(resident: Resident) -> tuple[Notification, Case]:
    case = create_resolved_case(resident)
    params = {"reference": case.reference, "text": "The car was moved."}
    return _call(resident, "case_resolved", params, case_id=case.id), case


def _post(client, notification_id: int, params: dict[str, str] | None = None, path: str = ""):
    return signed_post(client, f"/webhooks/twilio/voice/out/{notification_id}{path}", params or {})


def _keys_post(client, notification: Notification, digits: str, attempt: int = 0):
    return signed_post(
        client,
        f"/webhooks/twilio/voice/out/{notification.id}/keys",
        {"Digits": digits, "CallSid": "CA1"},
        query=f"attempt={attempt}",
    )


def _twiml(response) -> ElementTree.Element:
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return ElementTree.fromstring(response.data)


def _said(element: ElementTree.Element) -> list[str]:
    return ["".join(say.itertext()) for say in element.iter("Say")]


def _menu(root: ElementTree.Element) -> ElementTree.Element:
    [gather] = root.findall("Gather")
    return gather


def test_a_call_reads_the_message_slowly_in_mandarin_with_references_digit_by_digit(client):
    resident = create_resident()
    notification = _call(
        resident, "case_ack", {"case_type": "complaint", "reference": "261100042", "due": "x"}
    )

    root = _twiml(_post(client, notification.id))

    message = root[0]
    assert message.tag == "Say"
    assert message.get("language") == "cmn-CN" and message.get("voice") == "Polly.Zhiyu"
    assert message.find("prosody").get("rate") == "85%"
    assert "2 6 1 1 0 0 0 4 2" in "".join(message.itertext())
    assert "261100042" not in "".join(message.itertext())


def test_english_uses_the_configured_english_voice(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_VOICE_EN", "Polly.Brian")
    resident = create_resident(language="en")
    notification = _call(resident, "plan_awaiting_agreement", {"year": "2026"})

    root = _twiml(_post(client, notification.id))

    assert {(say.get("language"), say.get("voice")) for say in root.iter("Say")} == {
        ("en-GB", "Polly.Brian")
    }
    assert "service plan for 2026 is ready" in _said(root)[0]


def test_the_menu_offers_repeat_and_call_back_and_no_rating_when_none_is_pending(client):
    resident = create_resident(language="en")
    notification = _call(resident, "plan_awaiting_agreement", {"year": "2026"})

    gather = _menu(_twiml(_post(client, notification.id)))

    assert gather.get("numDigits") == "1"
    assert gather.get("action") == (
        f"{BASE}/webhooks/twilio/voice/out/{notification.id}/keys?attempt=0"
    )
    assert gather.get("actionOnEmptyResult") == "true"
    assert _said(gather) == [
        "Press 9 to hear the message again.",
        "Press 0 if you want a worker to call you back.",
    ]


def test_the_menu_offers_a_rating_when_the_message_asks_for_one(client):
    _user, resident = create_resident_user(language="en")
    notification, _case = _resolved_call(resident)

    gather = _menu(_twiml(_post(client, notification.id)))

    assert _said(gather)[0].startswith("How satisfied are you? Press 1 for satisfied")


@pytest.mark.parametrize(
    ("key", "level"), [("1", "satisfied"), ("2", "basic"), ("3", "dissatisfied")]
)
def test_keys_1_2_3_rate_the_case_as_the_resident_by_voice(client, key, level):
    user, resident = create_resident_user(language="en")
    notification, case = _resolved_call(resident)

    root = _twiml(_keys_post(client, notification, key))

    assert "Thank you for your rating." in _said(root)[0]
    assert root[-1].tag == "Hangup"
    rating = db.session.scalars(select(Rating).where(Rating.case_id == case.id)).one()
    assert (rating.level.value, rating.channel, rating.given_by_id) == (level, "voice", user.id)


def test_dissatisfied_by_voice_reopens_the_case_as_on_the_web(client):
    _user, resident = create_resident_user(language="en")
    notification, case = _resolved_call(resident)

    root = _twiml(_keys_post(client, notification, "3"))

    assert "A worker will contact you about it" in _said(root)[0]
    db.session.refresh(case)
    assert case.status == CaseStatus.IN_PROGRESS and case.reopen_count == 1


def test_a_second_rating_key_does_not_rate_twice(client):
    _user, resident = create_resident_user(language="en")
    notification, case = _resolved_call(resident)
    _keys_post(client, notification, "1")

    root = _twiml(_keys_post(client, notification, "3"))

    assert _said(root)[0] == "Sorry, that key does nothing here."
    ratings = db.session.scalars(select(Rating).where(Rating.case_id == case.id)).all()
    assert [rating.level.value for rating in ratings] == ["satisfied"]


def test_a_delivered_service_is_rated_by_voice(client):
    user, resident = create_resident_user(language="en")
    _plan, _item, delivery = create_delivered_plan(resident)
    notification = _call(
        resident,
        "delivery_rating_request",
        {"service": "Wheelchair", "date": "2026-03-15", "delivery_id": delivery.id},
    )

    _twiml(_keys_post(client, notification, "2"))

    rating = db.session.scalars(select(Rating).where(Rating.delivery_id == delivery.id)).one()
    assert (rating.level.value, rating.channel, rating.given_by_id) == ("basic", "voice", user.id)


def test_a_rating_key_without_a_pending_rating_is_a_wrong_key(client):
    resident = create_resident(language="en")
    notification = _call(resident, "plan_awaiting_agreement", {"year": "2026"})

    root = _twiml(_keys_post(client, notification, "1"))

    assert _said(root)[0] == "Sorry, that key does nothing here."
    assert _menu(root).get("action").endswith("/keys?attempt=1")
    assert db.session.scalars(select(Rating)).all() == []


def test_9_reads_the_message_again_then_the_menu(client):
    resident = create_resident(language="en")
    notification = _call(resident, "plan_awaiting_agreement", {"year": "2026"})

    root = _twiml(_keys_post(client, notification, "9", attempt=1))

    assert root[0].tag == "Say" and "service plan for 2026" in _said(root)[0]
    assert _menu(root).get("action").endswith("/keys?attempt=0")


def test_0_asks_for_a_call_back_once(client):
    resident = create_resident(language="en")
    notification, case = _resolved_call(resident)

    root = _twiml(_keys_post(client, notification, "0"))
    _keys_post(client, notification, "0")

    assert "A worker will call you back" in _said(root)[0] and root[-1].tag == "Hangup"
    [task] = db.session.scalars(select(CallBack)).all()
    assert (task.reason, task.resident_id, task.case_id, task.notification_id) == (
        "asked",
        resident.id,
        case.id,
        notification.id,
    )


def test_an_answering_machine_hears_the_message_once_and_no_menu(client):
    resident = create_resident()
    notification = _call(resident, "plan_awaiting_agreement", {"year": "2026"})

    root = _twiml(_post(client, notification.id, {"AnsweredBy": "machine_end_beep"}))

    assert [child.tag for child in root] == ["Say", "Hangup"]


def test_silence_reprompts_twice_then_says_goodbye_and_texts_the_message_once(client):
    resident = create_resident(language="en")
    notification = _call(resident, "plan_awaiting_agreement", {"year": "2026"})

    first = _twiml(_keys_post(client, notification, "", attempt=0))
    second = _twiml(_keys_post(client, notification, "", attempt=1))
    last = _twiml(_keys_post(client, notification, "", attempt=2))
    _keys_post(client, notification, "", attempt=2)

    assert _said(first)[0] == "We did not hear a key."
    assert _menu(first).get("action").endswith("?attempt=1")
    assert _menu(second).get("action").endswith("?attempt=2")
    assert last.findall("Gather") == [] and last[-1].tag == "Hangup"
    assert "send you this message as a text message" in _said(last)[0]
    [text] = db.session.scalars(
        select(Notification).where(Notification.channel == MessageChannel.SMS)
    ).all()
    assert text.dedupe_key == f"{notification.dedupe_key}:voice-summary"
    assert (text.template, text.resident_id, text.language) == (
        "plan_awaiting_agreement",
        resident.id,
        "en",
    )


def test_an_unknown_message_gets_an_apology_and_the_call_ends(client):
    root = _twiml(_post(client, 999999))

    assert [child.tag for child in root] == ["Say", "Say", "Hangup"]
    assert "12385" not in "".join(_said(root)) and "1 2 3 8 5" in _said(root)[1]
    assert [say.get("language") for say in root.iter("Say")] == ["cmn-CN", "en-GB"]


def test_an_unsigned_request_changes_nothing(client):
    resident = create_resident()
    notification, _case = _resolved_call(resident)

    response = client.post(
        f"/webhooks/twilio/voice/out/{notification.id}/keys", data={"Digits": "0"}
    )

    assert response.status_code == 403
    assert db.session.scalars(select(CallBack)).all() == []
