"""The Twilio provider, through the real `twilio` SDK, against a fake Twilio on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.etree import ElementTree

import pytest
import time_machine
from sqlalchemy import select

from portal.clients.messaging import AmbiguousSend, ProviderError
from portal.clients.twilio_provider import OptedOut, TwilioClient
from portal.config import TestingConfig as Config
from portal.extensions import db
from portal.jobs.deliver import deliver
from portal.models import Notification, NotificationStatus
from tests import fake_twilio
from tests.factories import create_case, create_resident

SID = "AC" + "0" * 32
TO = "+8613800001234"


@pytest.fixture
def fake() -> Iterator[fake_twilio.FakeTwilio]:
    server = fake_twilio.start()
    yield server
    server.stop()


def _client(fake: fake_twilio.FakeTwilio, **kw) -> TwilioClient:
    options = {
        "account_sid": SID,
        "auth_token": "secret",
        "from_number": "+15005550006",
        "public_base_url": "https://wenxu.example",
        "api_base_url": fake.url,
        **kw,
    }
    return TwilioClient(**options)


def test_an_sms_goes_with_a_validity_period_and_a_status_callback(fake):
    sid = _client(fake).send_sms(TO, "问需：已收到您的投诉。", notification_id=42)
    [request] = fake.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    form = request["form"]
    assert form["To"] == TO and form["Body"] == "问需：已收到您的投诉。"
    assert form["From"] == "+15005550006" and form["ValidityPeriod"] == "14400"
    assert form["StatusCallback"] == "https://wenxu.example/webhooks/twilio/status/42"
    assert sid == fake.messages[0]["sid"] and sid.startswith("SM")


class _Recorder(BaseHTTPRequestHandler):
    """Records each request as it arrives on the wire and answers as Twilio does a create."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]] = []
    answer: dict[str, Any] = {"sid": "SM" + "2" * 32, "status": "queued"}

    def do_POST(self) -> None:  # noqa: N802  (http.server's names)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.seen.append({"line": self.requestline, "headers": headers, "body": body})
        answer = json.dumps(self.answer).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    _Recorder.seen = []
    yield server
    server.shutdown()
    server.server_close()


def test_a_create_answered_without_a_sid_is_ambiguous(recorder, monkeypatch):
    monkeypatch.setattr(_Recorder, "answer", {"status": "queued"})
    client = TwilioClient(
        account_sid=SID,
        auth_token="secret",
        from_number="+15005550006",
        api_base_url=f"http://127.0.0.1:{recorder.server_address[1]}",
    )
    with pytest.raises(AmbiguousSend):  # no reference to record: looked for before a resend
        client.send_sms(TO, "hi")


@pytest.mark.parametrize("service", ["", "MG" + "1" * 32])
def test_a_text_is_the_very_request_the_sdk_makes(recorder, service):
    server = recorder
    url = f"http://127.0.0.1:{server.server_address[1]}"
    client = TwilioClient(
        account_sid=SID,
        auth_token="secret",
        from_number="" if service else "+15005550006",
        messaging_service_sid=service,
        public_base_url="https://wenxu.example",
        api_base_url=url,
    )
    sender = {"messaging_service_sid": service} if service else {"from_": "+15005550006"}
    sdk = client.client.messages.create(
        to=TO,
        body="问需：已收到 & 谢谢",
        validity_period=14400,
        status_callback="https://wenxu.example/webhooks/twilio/status/42",
        **sender,
    )
    ours = client.send_sms(TO, "问需：已收到 & 谢谢", notification_id=42)
    by_sdk, by_us = _Recorder.seen
    # Method, path, every header (basic auth, form encoding, the SDK's user agent) and the
    # form's bytes, in the SDK's order.
    assert by_us == by_sdk
    assert by_us["line"] == f"POST /2010-04-01/Accounts/{SID}/Messages.json HTTP/1.1"
    assert (
        by_us["headers"]["authorization"]
        == "Basic " + base64.b64encode(f"{SID}:secret".encode()).decode()
    )
    assert by_us["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert by_us["headers"]["user-agent"].startswith("twilio-python/")
    assert ours == sdk.sid == "SM" + "2" * 32


def test_a_messaging_service_sends_instead_of_a_number(fake):
    _client(fake, from_number="", messaging_service_sid="MG" + "1" * 32).send_sms(TO, "hi")
    form = fake.requests[0]["form"]
    assert form["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in form


@pytest.mark.parametrize(
    ("status", "code", "retryable", "ambiguous"),
    [
        (429, 20429, True, False),  # refused before anything was made
        (500, 20500, True, True),  # Twilio's own trouble: the message may have been made
        (503, None, True, True),
        (400, 21211, False, False),
    ],
)
def test_errors_are_classified(fake, status, code, retryable, ambiguous):
    fake.fail_next(status, code)
    with pytest.raises(ProviderError) as raised:
        _client(fake).send_sms(TO, "hi")
    assert raised.value.retryable is retryable
    assert isinstance(raised.value, AmbiguousSend) is ambiguous
    assert not isinstance(raised.value, OptedOut)


def test_a_recipient_who_replied_stop_is_opted_out_not_retried(fake):
    fake.fail_next(400, 21610)
    with pytest.raises(OptedOut) as raised:
        _client(fake).send_sms(TO, "hi")
    assert raised.value.retryable is False


def test_a_read_timeout_is_ambiguous_and_the_list_shows_the_message_went(fake):
    fake.stall_next(1.5)
    client = _client(fake, timeout=0.5)
    since = datetime.now(UTC) - timedelta(minutes=5)
    with pytest.raises(AmbiguousSend):
        client.send_sms(TO, "问需：第一次")
    [found] = client.find_sent("sms", TO, "问需：第一次", since)
    assert found.ref == fake.messages[0]["sid"] and found.status == "queued"  # not sent yet
    assert client.find_sent("sms", TO, "问需：别的内容", since) == []
    assert client.find_sent("sms", TO, "问需：第一次", datetime.now(UTC) + timedelta(hours=1)) == []


def test_a_timed_out_call_is_found_in_the_call_list(fake):
    fake.stall_next(1.5)
    client = _client(fake, timeout=0.5)
    since = datetime.now(UTC) - timedelta(minutes=5)
    with pytest.raises(AmbiguousSend):
        client.place_call(TO, "你好", "zh_CN", notification_id=7)
    [found] = client.find_sent("voice", TO, "", since)
    assert found.ref == fake.calls[0]["sid"]


def test_a_connection_dropped_after_the_request_was_written_is_ambiguous(fake):
    fake.drop_next(store=True)
    with pytest.raises(AmbiguousSend):
        _client(fake).send_sms(TO, "hi")


def test_a_429_says_when_to_come_back(fake):
    fake.fail_next(429, 20429, retry_after=7)
    with pytest.raises(ProviderError) as raised:
        _client(fake).send_sms(TO, "hi")
    assert raised.value.retry_after == 7


def test_twilio_out_of_reach_is_retryable(fake):
    client = _client(fake, api_base_url="http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(ProviderError) as raised:
        client.send_sms(TO, "hi")
    assert raised.value.retryable and not isinstance(raised.value, AmbiguousSend)


def test_a_call_reads_the_message_slowly_twice_in_the_recipients_language(fake):
    sid = _client(fake).place_call(TO, "验证码是 1, 2 & 3", "zh_CN")
    form = fake.requests[0]["form"]
    assert fake.requests[0]["path"].endswith("/Calls.json") and sid.startswith("CA")
    twiml = form["Twiml"]
    assert twiml.count('<Say language="cmn-CN" voice="Polly.Zhiyu">') == 2
    assert "验证码是 1, 2 &amp; 3" in twiml and '<prosody rate="85%">' in twiml
    assert form["MachineDetection"] == "DetectMessageEnd"
    _client(fake).place_call(TO, "Hello", "en")
    assert '<Say language="en-GB" voice="Polly.Amy">' in fake.requests[1]["form"]["Twiml"]


def test_a_calls_twiml_is_said_twice_with_a_pause_and_the_text_escaped(fake):
    text = 'Code 1 & 2 < 3 > 0 "quoted" ]]>'
    _client(fake).place_call(TO, text, "en")
    twiml = fake.requests[0]["form"]["Twiml"]
    assert twiml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response>')
    assert "1 &amp; 2 &lt; 3 &gt; 0" in twiml
    response = ElementTree.fromstring(twiml.encode())
    assert response.tag == "Response" and not response.attrib
    assert [child.tag for child in response] == ["Say", "Pause", "Say"]
    first, pause, second = response
    assert pause.attrib == {"length": "2"} and not list(pause)
    for say in (first, second):
        assert say.attrib == {"language": "en-GB", "voice": "Polly.Amy"}
        [prosody] = say
        assert prosody.tag == "prosody" and prosody.attrib == {"rate": "85%"}
        assert prosody.text == text and not list(prosody)


def test_a_call_in_an_unknown_language_is_read_in_mandarin(fake):
    _client(fake).place_call(TO, "验证码 123456", "fr")
    response = ElementTree.fromstring(fake.requests[0]["form"]["Twiml"].encode())
    for say in response.iter("Say"):
        assert say.attrib == {"language": "cmn-CN", "voice": "Polly.Zhiyu"}
        assert say[0].text == "验证码 123456"


def test_a_stored_message_is_called_through_the_voice_webhook(fake):
    _client(fake).place_call(TO, "Hello", "en", notification_id=42)
    form = fake.requests[0]["form"]
    assert form["Url"] == "https://wenxu.example/webhooks/twilio/voice/out/42"
    assert form["StatusCallback"] == "https://wenxu.example/webhooks/twilio/status/42"
    assert fake.calls[0]["events"] == ["initiated", "ringing", "answered", "completed"]
    assert "Twiml" not in form and form["MachineDetection"] == "DetectMessageEnd"


@pytest.fixture
def through_twilio(app, fake) -> Iterator[TwilioClient]:
    """The app sends through the fake Twilio (with a short read timeout) during the test."""
    client = _client(fake, timeout=0.5)
    app.extensions["messaging"], console = client, app.extensions["messaging"]
    yield client
    app.extensions["messaging"] = console


def _acknowledge() -> Notification:
    # Quiet hours that never apply (start == end): the test may run at any hour.
    # A resident with a physical disability who chose SMS: the plan is one text message.
    resident = create_resident(
        phone=TO, disability_category=4, quiet_hours_start=time(0), quiet_hours_end=time(0)
    )
    create_case(resident)
    db.session.commit()
    [row] = db.session.scalars(select(Notification)).all()
    return row


def test_the_deliver_job_sends_an_acknowledgement_through_twilio(fake, through_twilio):
    row = _acknowledge()
    assert row.status == NotificationStatus.SENT and row.provider == "twilio"
    assert row.provider_ref == fake.messages[0]["sid"] and fake.messages[0]["to"] == TO


def test_a_timed_out_send_that_went_is_not_sent_again(fake, through_twilio):
    fake.stall_next(1.5)
    row = _acknowledge()
    assert row.status == NotificationStatus.CREATED and row.last_error.startswith("ambiguous")
    with time_machine.travel(row.send_after + timedelta(seconds=1)):
        deliver(row.id)  # what the sweep does later
    db.session.expire_all()
    row = db.session.get(Notification, row.id)
    assert len(fake.messages) == 1  # reconciled against the message list: no resend
    assert row.status == NotificationStatus.SENT and row.provider_ref == fake.messages[0]["sid"]


def test_a_timed_out_send_that_did_not_go_is_sent_once_more(fake, through_twilio):
    fake.stall_next(1.5)
    row = _acknowledge()
    fake.messages.clear()  # Twilio never stored it after all
    with time_machine.travel(row.send_after + timedelta(seconds=1)):
        deliver(row.id)
    db.session.expire_all()
    assert len(fake.messages) == 1
    assert db.session.get(Notification, row.id).status == NotificationStatus.SENT


def test_a_busy_twilio_is_tried_again_later(fake, through_twilio):
    fake.fail_next(429, 20429, retry_after=120)
    row = _acknowledge()
    assert row.status == NotificationStatus.CREATED and "429" in row.last_error
    assert row.send_after - datetime.now(UTC) > timedelta(seconds=115)  # as Twilio asked
    with time_machine.travel(row.send_after + timedelta(seconds=1)):
        deliver(row.id)
    db.session.expire_all()
    assert db.session.get(Notification, row.id).status == NotificationStatus.SENT


def test_a_carrier_opt_out_is_recorded_and_not_retried(fake, through_twilio):
    fake.fail_next(400, 21610)
    row = _acknowledge()
    assert row.status == NotificationStatus.SKIPPED
    assert row.skip_reason == "opted_out_at_provider"
    deliver(row.id)
    assert len(fake.requests) == 1


def test_twilio_needs_its_settings():
    problems = Config({"MESSAGING_PROVIDER": "twilio"}).problems()
    assert "TWILIO_ACCOUNT_SID must be set for MESSAGING_PROVIDER=twilio" in problems
    assert "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID must be set" in problems
    complete = {
        "MESSAGING_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": "secret",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "PUBLIC_BASE_URL": "https://wenxu.example",
    }
    assert Config(complete).problems() == []


@pytest.mark.parametrize(
    ("sender", "problem"),
    [
        ({"TWILIO_FROM_NUMBER": "+15005550006"}, False),  # a long code: 1 per second
        ({"TWILIO_FROM_NUMBER": "95588"}, True),  # a short code says its own rate
        ({"TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32}, True),
        ({"TWILIO_FROM_NUMBER": "95588", "TWILIO_SENDS_PER_SECOND": "100"}, False),
    ],
)
def test_the_send_rate_must_be_given_unless_the_sender_is_a_long_code(sender, problem):
    settings = {
        "MESSAGING_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": "secret",
        "PUBLIC_BASE_URL": "https://wenxu.example",
        **sender,
    }
    problems = Config(settings).problems()
    assert any("TWILIO_SENDS_PER_SECOND" in p for p in problems) is problem
