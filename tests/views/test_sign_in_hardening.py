"""Signing in on the open internet: limits per phone however it is written, and nothing
personal in the cookie (#11, point 8)."""

from datetime import UTC, datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import SignInCode
from portal.services.crypto import cipher
from tests.factories import create_resident_user

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
