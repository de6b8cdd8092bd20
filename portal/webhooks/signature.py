"""The `X-Twilio-Signature` check.

Twilio signs the URL it called (our `PUBLIC_BASE_URL` + path + the query string exactly as
sent) followed by the POST parameters sorted by name. Werkzeug's `request.url` decodes the
query string, so the URL is rebuilt from the configured public address and the raw
`request.query_string` instead.

Scheme and host come from `PUBLIC_BASE_URL` only, never from the request: without a proxy
(TRUSTED_PROXY_COUNT=0) its Host and X-Forwarded-* are whatever the sender wrote, and even
behind one, believing them would let a signature made for another site sharing the token (a
staging copy) be replayed here. Behind a proxy the request's own scheme and host, as
portal/proxy.py sets them, only go into the log when a signature fails, to show an operator a
PUBLIC_BASE_URL that does not match the address Twilio was given.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL Twilio signed: public base + path + the raw query string, undecoded."""
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def require_twilio_signature() -> None:
    """Before every webhook: 403 unless the signature matches (no token configured: 403)."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature or not current_app.config["PUBLIC_BASE_URL"]:
        log.warning("webhook refused: no signature or no token", extra={"path": request.path})
        abort(403)
    params = request.form if request.method == "POST" else {}
    if not RequestValidator(token).validate(signed_url(), params, signature):
        log.warning(
            "webhook refused: bad signature for %s (the request came in as %r)",
            current_app.config["PUBLIC_BASE_URL"],
            request.host_url,
            extra={"path": request.path},
        )
        abort(403)
