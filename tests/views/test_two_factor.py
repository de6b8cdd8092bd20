"""The second sign-in step (TOTP) for county staff, supervisors and administrators."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role, User
from portal.services.accounts import two_factor
from portal.services.people.crypto import cipher
from tests.factories import PASSWORD, create_area, create_user
from tests.html import error_summary, field_error

START = datetime(2026, 11, 24, 2, 0, 10, tzinfo=UTC)


@pytest.fixture
def travel():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _password(client_request, user, **kw):
    client_request.set_locale("en")
    return client_request.post(
        "/sign-in/password", {"phone": user.phone.removeprefix("+86"), "password": PASSWORD}, **kw
    )


def _enrolled(role=Role.COUNTY_STAFF) -> tuple[User, str]:
    secret = pyotp.random_base32()
    user = create_user(role, area_id=create_area().id)
    user.totp_secret = cipher().encrypt(secret).decode()
    user.totp_confirmed_at = START - timedelta(days=30)
    db.session.commit()
    return user, secret


def _signed_in(client_request) -> bool:
    response = client_request.client.get("/admin/")
    return response.status_code == 200


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


@pytest.mark.parametrize("role", [Role.COUNTY_STAFF, Role.SUPERVISOR, Role.ADMIN])
def test_a_password_alone_does_not_sign_these_roles_in(client_request, travel, role):
    user, secret = _enrolled(role)
    _password(client_request, user)
    assert client_request.response.location.endswith("/sign-in/two-factor")
    assert not _signed_in(client_request)
    page = client_request.get("/sign-in/two-factor")
    assert page.find("input", attrs={"name": "code"})["autocomplete"] == "one-time-code"
    client_request.post("/sign-in/two-factor", {"code": _code(secret, START)})
    assert client_request.response.location.endswith("/admin/")
    assert _signed_in(client_request)
    db.session.refresh(user)
    assert user.last_sign_in_at is not None


@pytest.mark.parametrize("role", [Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.INSTITUTION])
def test_other_staff_roles_sign_in_with_the_password_alone(client_request, role):
    user = create_user(role, area_id=create_area().id)
    db.session.commit()
    _password(client_request, user)
    assert client_request.response.location.endswith("/admin/")
    assert _signed_in(client_request)


def test_residents_are_unaffected(client_request):
    user = create_user(Role.RESIDENT)
    db.session.commit()
    _password(client_request, user)
    assert client_request.response.location.endswith("/")
    assert "two-factor" not in client_request.response.location


def test_first_sign_in_sets_up_the_app(client_request, travel):
    user = create_user(Role.ADMIN)
    db.session.commit()
    _password(client_request, user)
    assert client_request.response.location.endswith("/sign-in/two-factor/set-up")
    page = client_request.get("/sign-in/two-factor/set-up")
    shown = page.find(id="totp-secret").get_text()
    secret = shown.replace(" ", "")
    assert len(secret) == 32 and all(len(group) == 4 for group in shown.split())
    assert "otpauth://totp/" in page.get_text()
    # Stored encrypted, and the same key on a reload.
    db.session.refresh(user)
    assert secret not in user.totp_secret
    assert two_factor.secret_of(user, decrypt=cipher().decrypt) == secret
    again = client_request.get("/sign-in/two-factor/set-up")
    assert again.find(id="totp-secret").get_text() == shown
    # A wrong first code: nothing is confirmed.
    page = client_request.post(
        "/sign-in/two-factor/set-up", {"code": "000000"}, expected_status=200
    )
    if _code(secret, START) != "000000":
        assert "not right" in field_error(page, "code")
    db.session.refresh(user)
    assert user.totp_confirmed_at is None
    client_request.post("/sign-in/two-factor/set-up", {"code": _code(secret, START)})
    assert _signed_in(client_request)
    db.session.refresh(user)
    assert user.totp_confirmed_at == START
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "staff.two_factor_set_up" in actions


def test_once_set_up_the_set_up_page_sends_to_the_code_page(client_request, travel):
    user, _secret = _enrolled()
    _password(client_request, user)
    client_request.get("/sign-in/two-factor/set-up", expected_status=302)
    assert client_request.response.location.endswith("/sign-in/two-factor")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the 6-digit code your authenticator app shows"),
        ("12345", "Enter the 6 digits of the code"),
    ],
)
def test_badly_typed_codes_are_explained(client_request, travel, typed, message):
    user, _secret = _enrolled()
    _password(client_request, user)
    page = client_request.post("/sign-in/two-factor", {"code": typed}, expected_status=200)
    assert error_summary(page) == [message]
    assert field_error(page, "code") == f"Error: {message}"
    assert not _signed_in(client_request)


def test_a_wrong_code_is_refused(client_request, travel):
    user, secret = _enrolled()
    _password(client_request, user)
    wrong = _code(secret, START + timedelta(minutes=5))
    page = client_request.post("/sign-in/two-factor", {"code": wrong}, expected_status=200)
    assert "not right" in field_error(page, "code")
    assert not _signed_in(client_request)


def test_codes_one_step_either_side_work_but_not_two(client_request, travel):
    user, secret = _enrolled()
    _password(client_request, user)
    page = client_request.post(
        "/sign-in/two-factor",
        {"code": _code(secret, START + timedelta(seconds=60))},
        expected_status=200,
    )
    assert "not right" in field_error(page, "code")
    client_request.post(
        "/sign-in/two-factor", {"code": _code(secret, START - timedelta(seconds=30))}
    )
    assert _signed_in(client_request)


def test_a_code_cannot_be_used_twice(app, client_request, travel):
    user, secret = _enrolled()
    code = _code(secret, START)
    _password(client_request, user)
    client_request.post("/sign-in/two-factor", {"code": code})
    assert _signed_in(client_request)
    # Someone who saw the password and the code tries them in another browser.
    other = type(client_request)(app.test_client())
    _password(other, user)
    page = other.post("/sign-in/two-factor", {"code": code}, expected_status=200)
    assert "not right" in field_error(page, "code")
    # An earlier code (still inside the window) is refused too; the next step's works.
    page = other.post(
        "/sign-in/two-factor",
        {"code": _code(secret, START - timedelta(seconds=30))},
        expected_status=200,
    )
    assert "not right" in field_error(page, "code")
    travel.shift(timedelta(seconds=30))
    other.post("/sign-in/two-factor", {"code": _code(secret, START + timedelta(seconds=30))})
    assert other.response.location.endswith("/admin/")


def test_the_pending_sign_in_ends_after_five_minutes(client_request, travel):
    user, secret = _enrolled()
    _password(client_request, user)
    travel.shift(timedelta(minutes=5, seconds=1))
    client_request.post(
        "/sign-in/two-factor", {"code": _code(secret, START + timedelta(minutes=5))}
    )
    assert client_request.response.location.endswith("/sign-in/password")
    page = client_request.get("/sign-in/password")
    assert "more than 5 minutes" in page.get_text()
    assert not _signed_in(client_request)
    # And the state is gone: the page sends back to the start without a message.
    client_request.get("/sign-in/two-factor", expected_status=302)


def test_the_two_factor_pages_need_a_pending_sign_in(client_request):
    for url in ("/sign-in/two-factor", "/sign-in/two-factor/set-up"):
        client_request.get(url, expected_status=302)
        assert client_request.response.location.endswith("/sign-in/password")


def test_a_deactivation_during_the_wait_ends_the_pending_sign_in(client_request, travel):
    user, secret = _enrolled()
    _password(client_request, user)
    user.active = False
    user.session_version += 1
    db.session.commit()
    client_request.post("/sign-in/two-factor", {"code": _code(secret, START)})
    assert client_request.response.location.endswith("/sign-in/password")
    assert not _signed_in(client_request)


def test_sign_in_by_text_message_code_also_asks_for_the_app(client_request, travel):
    from portal.services.accounts.sign_in import pending_token, send_code

    user, secret = _enrolled()
    db.session.commit()
    # Put a known code in place, as the text message would carry.
    send_code(db.session, user, now=START, digest=cipher().lookup)
    from portal.models import SignInCode

    code = db.session.scalars(select(SignInCode)).one()
    code.code_hash = cipher().lookup(f"sign-in:{user.id}:123456")
    db.session.commit()
    with client_request.client.session_transaction() as session:
        session["sign_in_pending"] = pending_token(user.phone, encrypt=cipher().encrypt)
    client_request.post("/sign-in/code", {"code": "123456"})
    assert client_request.response.location.endswith("/sign-in/two-factor")
    assert not _signed_in(client_request)
    with db.engine.connect() as other:  # committed: a request's session ends with it
        used_at = other.scalar(select(SignInCode.used_at).where(SignInCode.id == code.id))
    assert used_at is not None  # used up, though the sign-in waits for the app's code
    client_request.post("/sign-in/two-factor", {"code": _code(secret, START)})
    assert _signed_in(client_request)


def test_next_is_kept_through_the_second_step(client_request, travel):
    user, secret = _enrolled()
    _password(client_request, user, query_string={"next": "/admin/outbox"})
    client_request.post("/sign-in/two-factor", {"code": _code(secret, START)})
    assert client_request.response.location.endswith("/admin/outbox")


def test_the_secret_is_stored_encrypted_and_verify_refuses_replays(app, travel):
    user = create_user(Role.SUPERVISOR)
    two_factor.ensure_secret(db.session, user, encrypt=cipher().encrypt)
    secret = two_factor.secret_of(user, decrypt=cipher().decrypt)
    assert pyotp.TOTP(secret).at(START) not in user.totp_secret
    code = pyotp.TOTP(secret).at(START)
    assert two_factor.verify(db.session, user, code, now=START, decrypt=cipher().decrypt)
    assert not two_factor.verify(db.session, user, code, now=START, decrypt=cipher().decrypt)
    assert user.totp_last_step == pyotp.TOTP(secret).timecode(START)


def test_guessing_codes_is_rate_limited(client_request, travel):
    user, secret = _enrolled()
    _password(client_request, user)
    wrong = _code(secret, START + timedelta(minutes=10))
    for _ in range(5):
        client_request.post("/sign-in/two-factor", {"code": wrong}, expected_status=200)
    client_request.post("/sign-in/two-factor", {"code": _code(secret, START)}, expected_status=429)
    assert not _signed_in(client_request)
