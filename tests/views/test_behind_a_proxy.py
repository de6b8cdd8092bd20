"""Behind a reverse proxy (TRUSTED_PROXY_COUNT, portal/proxy.py): each resident is their own
address to the rate limiter and the audit log, and nobody can forge one (#11, point 3).

Every request here reaches the app from the proxy's address, as it does behind nginx; the
client's address is only in the X-Forwarded-For the proxy appends to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as configs
from portal import create_app
from portal.extensions import db
from portal.models import AuditEvent, Role
from tests.factories import create_area, create_guardianship, create_resident, create_user
from tests.twilio_webhooks import BASE, TOKEN, signature_for

PROXY = "10.0.0.2"  # nginx, on the private network in front of gunicorn
RESIDENT_A = "203.0.113.10"
RESIDENT_B = "203.0.113.20"
SIGN_IN = "/sign-in/password"


@pytest.fixture
def behind_one_proxy(app: Flask) -> Iterator[Flask]:
    """A second app on the session's database, configured as deployed behind one proxy."""
    config = configs.TestingConfig(
        {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TRUSTED_PROXY_COUNT": "1"}
    )
    other = create_app(config)
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def _sign_in(client: FlaskClient, phone: str, forwarded_for: str, remote: str = PROXY) -> int:
    response = client.post(
        SIGN_IN,
        data={"phone": phone, "password": "guess"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": remote},
    )
    return response.status_code


def _phones(count: int, start: int = 0) -> list[str]:
    """Different numbers, so only the per-address limit (10 a minute) can stop them."""
    return [f"138000002{n:02d}" for n in range(start, start + count)]


def test_the_factory_wraps_the_app_only_when_asked(behind_one_proxy, app):
    wrapped = behind_one_proxy.wsgi_app
    assert isinstance(wrapped, ProxyFix)
    assert (wrapped.x_for, wrapped.x_proto, wrapped.x_host) == (1, 1, 1)
    assert (wrapped.x_port, wrapped.x_prefix) == (0, 0)
    assert not isinstance(app.wsgi_app, ProxyFix)  # TRUSTED_PROXY_COUNT=0: no header believed


def test_a_negative_count_is_refused(app):
    config = configs.TestingConfig(
        {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TRUSTED_PROXY_COUNT": "-1"}
    )
    with pytest.raises(RuntimeError, match="TRUSTED_PROXY_COUNT"):
        create_app(config)


def test_two_residents_behind_one_proxy_do_not_share_a_bucket(behind_one_proxy):
    client = behind_one_proxy.test_client()
    first = [_sign_in(client, phone, RESIDENT_A) for phone in _phones(11)]
    assert first == [200] * 10 + [429], "one resident is still limited to 10 a minute"
    second = [_sign_in(client, phone, RESIDENT_B) for phone in _phones(10, start=20)]
    assert second == [200] * 10, "the other resident behind the same proxy was locked out"


def test_a_resident_cannot_leave_their_bucket_by_forging_x_forwarded_for(behind_one_proxy):
    """The proxy appends the address it saw; whatever the client wrote before it is ignored."""
    client = behind_one_proxy.test_client()
    codes = [
        _sign_in(client, phone, f"198.51.100.{n}, {RESIDENT_A}")
        for n, phone in enumerate(_phones(11))
    ]
    assert codes == [200] * 10 + [429]


def test_without_proxies_a_forged_x_forwarded_for_is_ignored(client):
    """TRUSTED_PROXY_COUNT=0 (the session's app): the header is anyone's to write."""
    codes = [
        _sign_in(client, phone, f"198.51.100.{n}", remote=RESIDENT_A)
        for n, phone in enumerate(_phones(11))
    ]
    assert codes == [200] * 10 + [429]


@pytest.fixture
def guardian():
    area = create_area()
    resident = create_resident(area, name="王小明")
    other = create_resident(area, name="李阿姨")
    user = create_user(Role.GUARDIAN, name="王妈妈")
    grant = create_guardianship(user, resident)
    create_guardianship(user, other)
    db.session.commit()
    return user, grant


def _act_for(flask_app: Flask, guardian, forwarded_for: str, remote: str) -> str | None:
    """A guardian chooses whom they act for (an audited action); the row's address."""
    user, grant = guardian
    client = flask_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    response = client.post(
        "/acting-for",
        data={"resident_id": grant.resident_id},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": remote},
    )
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent.ip_address)).one()


def test_audit_rows_record_the_client_behind_the_proxy(behind_one_proxy, guardian):
    assert _act_for(behind_one_proxy, guardian, f"192.0.2.99, {RESIDENT_A}", PROXY) == RESIDENT_A


def test_without_proxies_audit_rows_record_the_connection_not_the_header(app, guardian):
    assert _act_for(app, guardian, "192.0.2.99", RESIDENT_A) == RESIDENT_A


# --- Twilio's webhooks: the signed URL is PUBLIC_BASE_URL's, never the request's ----------------

STATUS = "/webhooks/twilio/status"
RECEIPT = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "delivered", "AccountSid": "AC1"}
TWILIO = "54.172.60.1"


def _post_receipt(client: FlaskClient, signature: str, remote: str, **headers: str) -> int:
    headers["X-Twilio-Signature"] = signature
    response = client.post(
        STATUS,
        data=RECEIPT,
        headers=headers,
        environ_base={"REMOTE_ADDR": remote},
        base_url="http://127.0.0.1:8000",  # gunicorn, as nginx reaches it
    )
    return response.status_code


def test_behind_the_proxy_twilio_s_signature_on_the_public_https_address_is_accepted(
    behind_one_proxy,
):
    client = behind_one_proxy.test_client()
    forwarded = {
        "X-Forwarded-For": TWILIO,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "wenxu.test",
    }
    signature = signature_for(STATUS, RECEIPT)
    assert _post_receipt(client, signature, PROXY, **forwarded) == 204


@pytest.mark.parametrize("proxied", [False, True], ids=["no-proxy", "one-proxy"])
def test_a_signature_for_another_address_is_refused_whatever_the_headers_claim(
    app, behind_one_proxy, proxied, caplog
):
    """A genuine signature for another site that shares the token (a staging copy) cannot be
    replayed here by claiming that site's scheme and host in X-Forwarded-*."""
    other_site = "http://staging.wenxu.test"
    signature = RequestValidator(TOKEN).compute_signature(other_site + STATUS, RECEIPT)
    client = (behind_one_proxy if proxied else app).test_client()
    forged = {
        "X-Forwarded-For": TWILIO,
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "staging.wenxu.test",
    }
    caplog.set_level(logging.WARNING, logger="portal.webhooks.signature")
    assert _post_receipt(client, signature, PROXY, **forged) == 403
    assert BASE in caplog.text  # the log says which address the signature was checked against
