"""Signing in on the open internet: limits per phone however it is written, nothing personal
in the cookie, and every sign-in audited (#11, points 8 and 9)."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role, SignInCode
from portal.services.people.crypto import cipher
from tests.factories import PASSWORD, create_area, create_resident_user, create_user

START = datetime(2026, 11, 24, 2, 0, 10, tzinfo=UTC)
SPELLINGS = [
    "13800000001",
    "138 0000 0001",
    "+86 138 0000 0001",
    "+8613800000001",
    "138-0000-0001",
    "１３８００００００01",
]


@pytest.fixture
def travel():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _audits(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _cookie_text(app: Flask, client) -> str:
    """The session cookie as anyone holding it can read it (signed, not encrypted)."""
    value = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    data = app.session_interface.get_signing_serializer(app).loads(value)
    return repr(data)


# --- limits per phone number, however it is written --------------------------------------------


def test_asking_for_codes_is_limited_per_number_however_it_is_written(client):
    codes = [client.post("/sign-in", data={"phone": typed}).status_code for typed in SPELLINGS[:4]]
    assert codes == [302] * 3 + [429]


def test_guessing_passwords_is_limited_per_number_however_it_is_written(client):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    codes = [
        client.post("/sign-in/password", data={"phone": typed, "password": "guess"}).status_code
        for typed in SPELLINGS
    ]
    assert codes == [200] * 5 + [429]


def test_typing_codes_is_limited_per_number_across_sessions(app, travel):
    """Ten codes a minute per number, whichever browser (session) and spelling they come from."""
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    statuses = []
    for typed in SPELLINGS[:3]:
        browser = app.test_client()
        assert browser.post("/sign-in", data={"phone": typed}).status_code == 302
        statuses += [
            browser.post("/sign-in/code", data={"code": "000000"}).status_code for _ in range(4)
        ]
    assert statuses == [200] * 10 + [429] * 2


# --- nothing personal in the cookie ------------------------------------------------------------


@pytest.mark.parametrize("known", [True, False])
def test_the_cookie_holds_no_phone_number_during_sign_in(app, client_request, travel, known):
    if known:
        create_resident_user(phone="+8613800000001")
        db.session.commit()
    client_request.set_locale("en")
    client_request.post("/sign-in", {"phone": "138 0000 0001"})
    page = client_request.get("/sign-in/code")
    assert "0001" in page.get_text()  # the page still says where the code went (masked)
    text = _cookie_text(app, client_request.client)
    assert "13800000001" not in text and "00000001" not in text, text


def test_a_pending_sign_in_cannot_be_forged(app, client_request):
    """A pending sign-in from an old build (the phone in the clear) or made up is not accepted."""
    with client_request.client.session_transaction() as session:
        session["sign_in_phone"] = "+8613800000001"
        session["sign_in_pending"] = "not-a-token"
    client_request.get("/sign-in/code", expected_status=302)
    assert client_request.response.location == "/sign-in"


def test_the_code_page_still_signs_in_after_the_change(app, client_request, travel):
    user, _ = create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.post("/sign-in", {"phone": "13800000001"})
    code = db.session.scalars(select(SignInCode)).one()
    code.code_hash = cipher().lookup(f"sign-in:{user.id}:123456")
    db.session.commit()
    client_request.post("/sign-in/code", {"code": "123456"})
    assert client_request.response.location == "/"
    assert "sign_in_pending" not in _cookie_text(app, client_request.client)


# --- sign-ins are audited ----------------------------------------------------------------------


def test_a_password_sign_in_and_a_failure_are_audited(client_request, travel):
    user, resident = create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.post(
        "/sign-in/password", {"phone": "13800000001", "password": "wrong"}, expected_status=200
    )
    client_request.post("/sign-in/password", {"phone": "13800000001", "password": PASSWORD})
    [failure] = _audits("sign_in.failed")
    assert failure.actor_id is None
    assert (failure.object_type, failure.object_id) == ("user", user.id)
    assert failure.resident_id == resident.id
    assert failure.ip_address == "127.0.0.1"
    assert failure.data == {
        "method": "password",
        "phone": "+86 *******0001",
        "reason": "wrong_password",
    }
    [success] = _audits("sign_in.succeeded")
    assert success.actor_id == user.id and success.object_id == user.id
    assert success.ip_address == "127.0.0.1"
    assert success.data == {"method": "password", "phone": "+86 *******0001"}
    assert "13800000001" not in repr([failure.data, success.data])


def test_a_sign_in_for_an_unknown_number_is_audited_without_the_number(client_request, travel):
    client_request.post(
        "/sign-in/password", {"phone": "139 0000 0000", "password": "x"}, expected_status=200
    )
    client_request.post("/sign-in", {"phone": "13900000000"})
    client_request.post("/sign-in/code", {"code": "123456"}, expected_status=200)
    password, code = _audits("sign_in.failed")
    assert password.object_id is None and password.actor_id is None
    assert password.data == {
        "method": "password",
        "phone": "+86 *******0000",
        "reason": "no_account",
    }
    assert code.data == {"method": "code", "phone": "+86 *******0000", "reason": "no_account"}


def test_code_sign_ins_and_failures_are_audited(client_request, travel):
    user, _ = create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.post("/sign-in", {"phone": "13800000001"})
    code = db.session.scalars(select(SignInCode)).one()
    code.code_hash = cipher().lookup(f"sign-in:{user.id}:123456")
    db.session.commit()
    client_request.post("/sign-in/code", {"code": "654321"}, expected_status=200)
    client_request.post("/sign-in/code", {"code": "12345"}, expected_status=200)  # not checked
    client_request.post("/sign-in/code", {"code": "123456"})
    [failure] = _audits("sign_in.failed")
    assert failure.data == {"method": "code", "phone": "+86 *******0001", "reason": "wrong"}
    assert failure.object_id == user.id
    [success] = _audits("sign_in.succeeded")
    assert success.data == {"method": "code", "phone": "+86 *******0001"}


def test_two_factor_failures_and_the_sign_in_are_audited(client_request, travel):
    secret = pyotp.random_base32()
    user = create_user(Role.COUNTY_STAFF, phone="+8613800000012", area_id=create_area().id)
    user.totp_secret = cipher().encrypt(secret).decode()
    user.totp_confirmed_at = START - timedelta(days=30)
    db.session.commit()
    client_request.post("/sign-in/password", {"phone": "13800000012", "password": PASSWORD})
    assert _audits("sign_in.succeeded") == []  # not signed in yet
    wrong = pyotp.TOTP(secret).at(START + timedelta(minutes=10))
    client_request.post("/sign-in/two-factor", {"code": wrong}, expected_status=200)
    [failure] = _audits("sign_in.two_factor_failed")
    assert failure.object_id == user.id and failure.actor_id is None
    assert failure.ip_address == "127.0.0.1"
    assert failure.data == {"method": "password", "phone": "+86 *******0012", "reason": "wrong"}
    client_request.post("/sign-in/two-factor", {"code": pyotp.TOTP(secret).at(START)})
    [success] = _audits("sign_in.succeeded")
    assert success.actor_id == user.id
    assert success.data == {
        "method": "password",
        "phone": "+86 *******0012",
        "second_factor": "app",
    }


def test_a_failed_set_up_code_is_audited_too(client_request, travel):
    user = create_user(Role.ADMIN, phone="+8613800000099")
    db.session.commit()
    client_request.post("/sign-in/password", {"phone": "13800000099", "password": PASSWORD})
    client_request.get("/sign-in/two-factor/set-up")
    client_request.post("/sign-in/two-factor/set-up", {"code": "000000"}, expected_status=200)
    [failure] = _audits("sign_in.two_factor_failed")
    assert failure.object_id == user.id
    assert failure.data["reason"] == "wrong"
