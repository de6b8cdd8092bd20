"""The status line: caller number plus PIN, the report, and a recorded message becoming a case."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree

from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, CaseChannel, InboundMessage, PlanStatus, Resident
from portal.services.accounts.phone_pin import set_pin
from tests.factories import create_case, create_resident, create_resident_user
from tests.plan_factories import create_plan
from tests.twilio_webhooks import BASE, signed_post

PIN = "4826"
_phones = itertools.count(1)


def _resident(pin: str | None = PIN, **kw) -> Resident:
    resident = create_resident(phone=f"+86139{next(_phones):08d}", language="en", **kw)
    if pin:
        set_pin(db.session, resident, pin)
    db.session.commit()
    return resident


def _twiml(response) -> ElementTree.Element:
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return ElementTree.fromstring(response.data)


def _said(element: ElementTree.Element) -> list[str]:
    return ["".join(say.itertext()) for say in element.iter("Say")]


def _follow(client, url: str, params: dict[str, str]):
    """Post to an action URL from our TwiML, as Twilio would (signed, query kept as written)."""
    assert url.startswith(BASE)
    parts = urlsplit(url)
    return signed_post(client, parts.path, params, query=parts.query)


def _call(client, resident: Resident, call_sid: str = "CA100") -> ElementTree.Element:
    return _twiml(
        signed_post(
            client, "/webhooks/twilio/voice/in", {"From": resident.phone, "CallSid": call_sid}
        )
    )


def _enter(client, resident: Resident, prompt: ElementTree.Element, digits: str, call_sid="CA100"):
    [gather] = prompt.iter("Gather")
    params = {"From": resident.phone, "CallSid": call_sid, "Digits": digits}
    return _twiml(_follow(client, gather.get("action"), params))


def test_a_known_caller_is_asked_for_a_4_digit_pin(client):
    resident = _resident()

    root = _call(client, resident)

    [gather] = root.iter("Gather")
    assert gather.get("numDigits") == "4"
    assert gather.get("action") == f"{BASE}/webhooks/twilio/voice/in/pin?attempt=1"
    assert _said(gather) == ["This is Wenxu. Please enter your 4-digit phone PIN."]


def test_the_right_pin_reads_each_open_case_and_a_plan_awaiting_agreement(client):
    resident = _resident()
    case = create_case(resident)
    create_plan(resident, status=PlanStatus.AWAITING_AGREEMENT, year=2026)
    db.session.commit()

    root = _enter(client, resident, _call(client, resident), PIN)

    said = _said(root)
    spaced = " ".join(case.reference)
    assert said[0] == "You have 1 open case."
    assert said[1].startswith(f"Complaint, reference {spaced}: Received. An answer is due by ")
    assert str(case.next_due_at.astimezone(UTC).year) in said[1]
    assert said[2].startswith("Your service plan for 2026 is waiting for your agreement.")
    [menu] = root.iter("Gather")
    assert _said(menu) == ["Press 1 to leave a message. Press 9 to hear this again."]
    assert root[-1].tag == "Hangup"


def test_a_wrong_pin_may_be_tried_again_three_times_a_call(client):
    resident = _resident()

    first = _enter(client, resident, _call(client, resident), "1111")
    second = _enter(client, resident, first, "2222")
    third = _enter(client, resident, second, "3333")

    assert _said(first)[0] == "That PIN is not right."
    assert [g.get("action")[-9:] for g in (*first.iter("Gather"), *second.iter("Gather"))] == [
        "attempt=2",
        "attempt=3",
    ]
    assert list(third.iter("Gather")) == [] and third[-1].tag == "Hangup"
    assert "1 2 3 8 5" in _said(third)[0]
    db.session.refresh(resident)
    assert resident.pin_failures == 3


def test_five_wrong_pins_lock_the_line_for_30_minutes_even_for_the_right_pin(client):
    resident = _resident()
    prompt = _call(client, resident)
    for digits in ("1111", "2222", "3333"):
        prompt = _enter(client, resident, prompt, digits)
    prompt = _call(client, resident, "CA200")
    fourth = _enter(client, resident, prompt, "4444", "CA200")

    fifth = _enter(client, resident, fourth, "5555", "CA200")
    again = _enter(client, resident, _call(client, resident, "CA300"), PIN, "CA300")

    for locked in (fifth, again):
        assert "locked for 30 minutes" in _said(locked)[0] and locked[-1].tag == "Hangup"
    db.session.refresh(resident)
    assert resident.pin_locked_until > datetime.now(UTC) + timedelta(minutes=29)


def test_an_unknown_number_or_a_resident_without_a_pin_hears_how_to_set_one(client):
    stranger = {"From": "+8613700000999", "CallSid": "CA1"}
    no_pin = _resident(pin=None)

    for params in (stranger, {"From": no_pin.phone, "CallSid": "CA2"}):
        root = _twiml(signed_post(client, "/webhooks/twilio/voice/in", params))
        assert [child.tag for child in root] == ["Say", "Say", "Hangup"]
        assert "set a phone PIN in your settings" in _said(root)[1]
        assert "1 2 3 8 5" in _said(root)[1]


def _record(client, resident: Resident, call_sid: str = "CA100") -> ElementTree.Element:
    report = _enter(client, resident, _call(client, resident, call_sid), PIN, call_sid)
    return _enter(client, resident, report, "1", call_sid)


def test_1_records_a_message_of_up_to_two_minutes(client):
    resident = _resident()

    root = _record(client, resident)

    [record] = root.iter("Record")
    assert record.get("maxLength") == "120"
    assert record.get("action").startswith(f"{BASE}/webhooks/twilio/voice/in/recording?t=")


def test_the_recording_becomes_one_case_however_often_it_is_posted(client):
    user, resident = create_resident_user(phone="+8613911112222", language="en")
    set_pin(db.session, resident, PIN)
    db.session.commit()
    [record] = _record(client, resident, "CA555").iter("Record")
    params = {
        "From": resident.phone,
        "CallSid": "CA555",
        "RecordingUrl": "https://api.twilio.com/recordings/RE1",
        "RecordingDuration": "14",
    }

    first = _twiml(_follow(client, record.get("action"), params))
    second = _twiml(_follow(client, record.get("action"), params))

    [case] = db.session.scalars(select(Case)).all()
    assert (case.channel, case.recording_url, case.description, case.filed_by_id) == (
        CaseChannel.VOICE,
        "https://api.twilio.com/recordings/RE1",
        "Voice message (recording)",
        user.id,
    )
    [inbound] = db.session.scalars(select(InboundMessage)).all()
    assert (inbound.provider_ref, inbound.kind, inbound.case_id) == ("CA555", "call", case.id)
    spaced = " ".join(case.reference)
    assert f"reference {spaced}" in _said(first)[0] and _said(first) == _said(second)


def test_a_recording_from_another_call_or_without_the_pin_files_nothing(client):
    resident = _resident()
    [record] = _record(client, resident, "CA777").iter("Record")
    params = {"From": resident.phone, "RecordingUrl": "https://api.twilio.com/recordings/RE2"}

    _follow(client, record.get("action"), {**params, "CallSid": "CA-OTHER"})
    signed_post(
        client,
        "/webhooks/twilio/voice/in/recording",
        {**params, "CallSid": "CA777"},
        query="t=forged",
    )

    assert db.session.scalars(select(Case)).all() == []
