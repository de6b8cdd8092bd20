"""The fake Twilio's misbehaviours, through the real `twilio` SDK (no app, no database)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests import fake_twilio

SID = "AC" + "0" * 32
TOKEN = "fake-token"
PUBLIC = "https://wenxu.test"
TO = "+8613900000001"
FROM = "+15005550006"


class LocalHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, sent to the fake instead of api.twilio.com."""

    def __init__(self, base: str, timeout: float = 2.0) -> None:
        super().__init__(timeout=timeout)
        self.base = base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(
            method, url.replace("https://api.twilio.com", self.base), *args, **kwargs
        )


@pytest.fixture
def fake() -> Iterator[fake_twilio.FakeTwilio]:
    server = fake_twilio.start()
    yield server
    server.wait_for_receipts()
    server.stop()


@pytest.fixture
def sdk(fake: fake_twilio.FakeTwilio) -> Client:
    return Client(SID, TOKEN, http_client=LocalHttpClient(fake.url))


class Receiver:
    """Where status callbacks land: every POST with its path, form, signature and time."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                posts.append(
                    {
                        "path": self.path,
                        "form": form,
                        "signature": self.headers.get("X-Twilio-Signature"),
                        "at": time.monotonic(),
                    }
                )
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _sms(sdk: Client, notification_id: int | None = 1, body: str = "问需：已收到") -> Any:
    callback = f"{PUBLIC}/webhooks/twilio/status/{notification_id}" if notification_id else None
    extra = {"status_callback": callback} if callback else {}
    return sdk.messages.create(to=TO, from_=FROM, body=body, **extra)


def _call(sdk: Client, notification_id: int = 2) -> Any:
    return sdk.calls.create(
        to=TO,
        from_=FROM,
        url=f"{PUBLIC}/webhooks/twilio/voice/out/{notification_id}",
        status_callback=f"{PUBLIC}/webhooks/twilio/status/{notification_id}",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )


def test_a_429_has_twilios_error_body_and_retry_after(fake, sdk):
    fake.fail_next(429, retry_after=2, times=2)
    with pytest.raises(TwilioRestException) as raised:
        _sms(sdk)
    assert (raised.value.status, raised.value.code) == (429, 20429)
    answer = requests.post(f"{fake.url}/2010-04-01/Accounts/{SID}/Messages.json", data={"To": TO})
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["more_info"] == "https://www.twilio.com/docs/errors/20429"
    assert fake.messages == [] and _sms(sdk).status == "queued"  # recovered
    assert [entry["answer"] for entry in fake.log] == [429, 429, 201]


def test_a_500_has_an_error_body_and_stores_nothing(fake, sdk):
    fake.fail_next(500)
    with pytest.raises(TwilioRestException) as raised:
        _sms(sdk)
    assert (raised.value.status, raised.value.code) == (500, 20500)
    assert fake.messages == []


@pytest.mark.parametrize("store", [True, False])
def test_a_dropped_connection_answers_nothing_and_stores_or_not(fake, sdk, store):
    fake.drop_next(store=store)
    with pytest.raises(requests.exceptions.ConnectionError):
        _sms(sdk, notification_id=5)
    assert fake.stored_per_notification() == ({5: 1} if store else {})
    assert fake.log[0]["answer"] == "dropped" and len(fake.requests) == 1


def test_a_stalled_send_times_out_after_it_was_stored(fake):
    slow = Client(SID, TOKEN, http_client=LocalHttpClient(fake.url, timeout=0.3))
    fake.stall_next(1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        _sms(slow, notification_id=6)
    assert fake.stored_per_notification() == {6: 1}


def test_lists_are_filtered_newest_first_and_paged(fake, sdk):
    first, second, third = _sms(sdk, 1, "one"), _sms(sdk, 2, "two"), _sms(sdk, 3, "three")
    sdk.messages.create(to="+8613900000002", from_=FROM, body="someone else")
    found = sdk.messages.list(to=TO, page_size=2, limit=10)  # two pages
    assert [m.sid for m in found] == [third.sid, second.sid, first.sid]
    assert all(isinstance(m.date_created, datetime) and m.date_sent is None for m in found)
    assert fake.log[-1]["query"]["Page"] == "1"  # the SDK followed next_page_uri
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert sdk.messages.list(to=TO, date_sent_after=since) == []  # still queued: no date_sent
    fake.advance(fake.messages[0], "sent")
    [sent] = sdk.messages.list(to=TO, date_sent_after=since)
    assert sent.sid == first.sid and sent.status == "sent" and sent.date_sent is not None
    [today] = sdk.messages.list(to=TO, date_sent=datetime.now(UTC).date())  # the day
    assert today.sid == first.sid


def test_calls_are_listed_by_start_time(fake, sdk):
    call = _call(sdk)
    assert call.status == "queued" and call.start_time is None
    assert fake.calls[0]["events"] == ["initiated", "ringing", "answered", "completed"]
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert [c.sid for c in sdk.calls.list(to=TO)] == [call.sid]
    assert sdk.calls.list(to=TO, start_time_after=since) == []  # not dialled yet
    fake.advance(fake.calls[0], "completed")
    [done] = sdk.calls.list(to=TO, start_time_after=since)
    assert done.status == "completed" and done.start_time is not None
    assert sdk.calls(call.sid).fetch().status == "completed"


def _signed(post: dict[str, Any]) -> bool:
    url = PUBLIC + post["path"]
    return RequestValidator(TOKEN).validate(url, post["form"], post["signature"])


def test_normal_receipts_follow_the_answer_signed_for_the_public_address(fake, sdk, receiver):
    fake.receipts(target=receiver.url, public=PUBLIC, auth_token=TOKEN, mode="normal")
    message, call = _sms(sdk, 11), _call(sdk, 12)
    assert fake.wait_for_receipts()
    sms = [p for p in receiver.posts if p["path"].endswith("/11")]
    calls = [p for p in receiver.posts if p["path"].endswith("/12")]
    assert [p["form"]["MessageStatus"] for p in sms] == ["queued", "sent", "delivered"]
    assert {p["form"]["MessageSid"] for p in sms} == {message.sid}
    assert [p["form"]["CallStatus"] for p in calls] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert {p["form"]["CallSid"] for p in calls} == {call.sid}
    assert all(_signed(p) and p["form"]["AccountSid"] == SID for p in receiver.posts)
    assert [m["status"] for m in fake.messages + fake.calls] == ["delivered", "completed"]
    assert fake.stored_per_notification() == {11: 1, 12: 1}
    assert {entry["status"] for entry in fake.receipt_log} == {204}


def test_early_receipts_are_answered_before_the_create_returns(fake, sdk, receiver):
    fake.receipts(target=receiver.url, public=PUBLIC, auth_token=TOKEN, mode="early")
    message = _sms(sdk, 21)
    returned = time.monotonic()
    assert message.status == "queued"  # the answer is what was stored, whatever came since
    statuses = [p["form"]["MessageStatus"] for p in receiver.posts]
    assert statuses == ["queued", "sent", "delivered"]
    assert all(p["at"] < returned for p in receiver.posts)


def test_receipts_may_come_late(fake, sdk, receiver):
    fake.receipts(target=receiver.url, public=PUBLIC, auth_token=TOKEN, mode="normal", delay=0.5)
    _sms(sdk, 41)
    answered = time.monotonic()
    assert fake.wait_for_receipts()
    assert receiver.posts and min(p["at"] for p in receiver.posts) - answered >= 0.45


def test_out_of_order_receipts_come_final_first_with_a_duplicate(fake, sdk, receiver):
    fake.receipts(target=receiver.url, public=PUBLIC, auth_token=TOKEN, mode="out_of_order")
    _sms(sdk, 31)
    assert fake.wait_for_receipts()
    statuses = [p["form"]["MessageStatus"] for p in receiver.posts]
    assert statuses == ["delivered", "queued", "sent", "delivered"]
    assert fake.messages[0]["status"] == "delivered"  # the record never goes back


def test_a_message_without_a_callback_gets_no_receipt_and_no_id(fake, sdk, receiver):
    fake.receipts(target=receiver.url, public=PUBLIC, auth_token=TOKEN, mode="normal")
    _sms(sdk, None)
    assert fake.wait_for_receipts()
    assert receiver.posts == [] and fake.messages[0]["status"] == "delivered"
    assert fake.stored_per_notification() == {}


def test_reset_forgets_records_and_plans(fake, sdk):
    _sms(sdk)
    fake.fail_next(500, times=3)
    fake.slow_down(1.0)
    fake.reset()
    assert (fake.messages, fake.requests, fake.log, list(fake.plans)) == ([], [], [], [])
    assert fake.delay == 0 and _sms(sdk).status == "queued"
