"""Signing in with a one-time code sent by text message or voice call."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import Channel, MessageChannel, Notification, NotificationStatus, Role
from tests.factories import create_resident_user, create_user
from tests.html import field_error

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _code_sent() -> str:
    """The code as the console provider 'sent' it (the stored copy shows dots)."""
    message = db.session.scalars(select(Notification).order_by(Notification.id.desc())).first()
    assert message.template == "sign_in_code"
    assert "••••••" in message.body and message.params == {"code": "••••••"}
    return message  # type: ignore[return-value]


@pytest.fixture
def sent_codes(monkeypatch):
    """Capture what the provider was asked to send."""
    from portal.clients.messaging import ConsoleClient

    sent: list[tuple[str, str]] = []
    real_sms, real_call = ConsoleClient.send_sms, ConsoleClient.place_call

    def sms(self, to, body, *, notification_id=None):
        sent.append(("sms", body))
        return real_sms(self, to, body, notification_id=notification_id)

    def call(self, to, text, language, *, notification_id=None):
        sent.append(("voice", text))
        return real_call(self, to, text, language, notification_id=notification_id)

    monkeypatch.setattr(ConsoleClient, "send_sms", sms)
    monkeypatch.setattr(ConsoleClient, "place_call", call)
    return sent


def _code_from(body: str) -> str:
    return re.search(r"\d{6}", body).group(0)


@pytest.fixture
def travel():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_resident_signs_in_with_a_code_by_text_message(client_request, sent_codes, travel):
    user, _ = create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.set_locale("en")
    client_request.post("/sign-in", {"phone": "138 0000 0001"})
    assert client_request.response.location == "/sign-in/code"
    page = client_request.get("/sign-in/code")
    code_input = page.find(id="code")
    assert code_input["autocomplete"] == "one-time-code"
    assert code_input["inputmode"] == "numeric"
    assert "0001" in page.get_text() and "13800000001" not in page.get_text()
    [(channel, body)] = sent_codes
    assert channel == "sms" and "5 分钟内有效" in body  # in the resident's language
    message = _code_sent()
    assert message.status == NotificationStatus.DELIVERED  # the console simulates the receipt
    client_request.post("/sign-in/code", {"code": f" {_code_from(body)} "})
    assert client_request.response.location == "/"
    client_request.get("/cases/new")  # signed in


def test_a_voice_first_resident_gets_a_call_reading_the_code_twice(
    client_request, sent_codes, travel
):
    create_resident_user(phone="+8613800000001", channel=Channel.VOICE)
    db.session.commit()
    client_request.post("/sign-in", {"phone": "13800000001"})
    [(channel, text)] = sent_codes
    assert channel == "voice"
    message = db.session.scalars(select(Notification)).one()
    assert message.channel == MessageChannel.VOICE
    spoken = [part for part in text.split() if "," in part or part[:1].isdigit()]
    assert spoken, text
    digits = "".join(ch for ch in text if ch.isdigit())
    assert len(digits) == 12 and digits[:6] == digits[6:]  # read twice, digit by digit


def test_quiet_hours_never_hold_a_code(client_request, sent_codes):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 24, 15, 0, tzinfo=UTC), tick=False):  # 23:00
        client_request.post("/sign-in", {"phone": "13800000001"})
    assert len(sent_codes) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the code we sent you"),
        ("12345", "Enter the 6 digits of the code"),
        ("abcdef", "Enter the 6 digits of the code"),
        ("<b>1</b>", "Enter the 6 digits of the code"),
    ],
)
def test_badly_typed_codes_are_explained_and_kept(client_request, travel, typed, message):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.set_locale("en")
    client_request.post("/sign-in", {"phone": "13800000001"})
    page = client_request.post("/sign-in/code", {"code": typed}, expected_status=200)
    assert message in field_error(page, "code")
    assert page.find(id="code")["value"] == typed.strip()


def test_a_wrong_code_counts_and_five_wrong_tries_end_the_code(client_request, sent_codes, travel):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.set_locale("en")
    client_request.post("/sign-in", {"phone": "13800000001"})
    right = _code_from(sent_codes[0][1])
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    for _ in range(4):
        page = client_request.post("/sign-in/code", {"code": wrong}, expected_status=200)
        assert "not right" in field_error(page, "code")
    page = client_request.post("/sign-in/code", {"code": wrong}, expected_status=200)
    assert "Too many wrong codes" in field_error(page, "code")
    page = client_request.post("/sign-in/code", {"code": right}, expected_status=200)
    assert "Too many wrong codes" in field_error(page, "code")


def test_a_code_runs_out_after_five_minutes(client_request, sent_codes, travel):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.set_locale("en")
    client_request.post("/sign-in", {"phone": "13800000001"})
    travel.shift(timedelta(minutes=5, seconds=1))
    page = client_request.post(
        "/sign-in/code", {"code": _code_from(sent_codes[0][1])}, expected_status=200
    )
    assert "run out" in field_error(page, "code")


def test_a_used_code_cannot_be_used_again(client_request, sent_codes, travel):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.set_locale("en")
    client_request.post("/sign-in", {"phone": "13800000001"})
    code = _code_from(sent_codes[0][1])
    client_request.post("/sign-in/code", {"code": code})
    client_request.post("/sign-out")
    client_request.post("/sign-in", {"phone": "13800000001"})
    page = client_request.post("/sign-in/code", {"code": code}, expected_status=200)
    assert field_error(page, "code")


def test_a_new_code_waits_60_seconds_and_replaces_the_old_one(client_request, sent_codes, travel):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.set_locale("en")
    client_request.post("/sign-in", {"phone": "13800000001"})
    travel.shift(timedelta(seconds=20))
    page = client_request.get("/sign-in/code")
    assert "in 40 seconds" in page.find(role="status").get_text()
    client_request.post("/sign-in/code/new")
    page = client_request.get("/sign-in/code")
    assert "You can ask for a new code in 40 seconds." in page.get_text()
    assert len(sent_codes) == 1
    travel.shift(timedelta(seconds=40))
    client_request.post("/sign-in/code/new")
    assert len(sent_codes) == 2
    old, new = (_code_from(body) for _, body in sent_codes)
    if old != new:
        page = client_request.post("/sign-in/code", {"code": old}, expected_status=200)
        assert field_error(page, "code")
    client_request.post("/sign-in/code", {"code": new})
    assert client_request.response.location == "/"


def test_an_unknown_number_looks_the_same_and_sends_nothing(client_request, sent_codes, travel):
    client_request.set_locale("en")
    client_request.post("/sign-in", {"phone": "13900000000"})
    assert client_request.response.location == "/sign-in/code"
    page = client_request.post("/sign-in/code", {"code": "123456"}, expected_status=200)
    assert "not right" in field_error(page, "code")
    assert sent_codes == []


def test_staff_get_their_code_by_text_message(client_request, sent_codes, travel):
    create_user(Role.VILLAGE_WORKER, phone="+8613800000010")
    db.session.commit()
    client_request.post("/sign-in", {"phone": "13800000010"})
    client_request.post("/sign-in/code", {"code": _code_from(sent_codes[0][1])})
    assert client_request.response.location == "/admin/"


def test_the_code_page_needs_a_phone_first(client_request):
    client_request.get("/sign-in/code", expected_status=302)
    assert client_request.response.location == "/sign-in"


def test_sign_out_everywhere_ends_other_sessions(app, client_request):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert other.get("/cases/new").status_code == 200
    client_request.post("/sign-out/everywhere")
    assert other.get("/cases/new").status_code == 302
    client_request.get("/cases/new", expected_status=302)
