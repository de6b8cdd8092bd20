"""Requests to our webhooks signed the way Twilio signs them (the real SDK's validator)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from portal.config import TestingConfig

TOKEN = TestingConfig().TWILIO_AUTH_TOKEN
BASE = TestingConfig().PUBLIC_BASE_URL


def signature_for(path: str, params: dict[str, Any], query: str = "", token: str = TOKEN) -> str:
    url = BASE + path + (f"?{query}" if query else "")
    return RequestValidator(token).compute_signature(url, params)  # type: ignore[no-any-return]


def signed_post(
    client: FlaskClient,
    path: str,
    params: dict[str, Any],
    *,
    query: str = "",
    signature: str | None = None,
) -> TestResponse:
    """POST `params` to `path` (with `query` exactly as written: keep it percent-encoded)."""
    headers = {"X-Twilio-Signature": signature_for(path, params, query)}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(path + (f"?{query}" if query else ""), data=params, headers=headers)
