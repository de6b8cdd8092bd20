"""Behind a reverse proxy: the client's real address and scheme (TRUSTED_PROXY_COUNT).

A proxy that terminates TLS connects to gunicorn itself, so without this every request seems to
come from the proxy's address over plain HTTP: the per-address sign-in limit would lock a whole
county out at once, and audit rows would name the proxy. With TRUSTED_PROXY_COUNT=n, Werkzeug's
`ProxyFix` takes the client from the n-th address from the right of X-Forwarded-For (each proxy
appends the address it saw), so REMOTE_ADDR, which the limiter, the audit log and gunicorn's
access log read, is the client's.

Only as many entries as there are proxies are believed: anything to their left was sent by the
client and could be anything. With 0 (the default: gunicorn faces the client, as in
development) no X-Forwarded-* header is read at all.

Scheme and host are taken from the nearest proxy only (X-Forwarded-Proto, X-Forwarded-Host):
proxies replace these headers rather than append to them, so in a chain the one next to
gunicorn passes on what the outer one said (docs/deploy.md). X-Forwarded-Port and -Prefix are
not read: the host carries any port, and Twilio's URLs are built from PUBLIC_BASE_URL, which
already holds any path prefix the proxy strips.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Wrap the WSGI app in `ProxyFix` when the configuration says proxies stand in front."""
    count = int(app.config.get("TRUSTED_PROXY_COUNT", 0))
    if count < 0:
        raise RuntimeError("TRUSTED_PROXY_COUNT must be 0 or a number of proxies")
    if count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=1, x_host=1, x_port=0, x_prefix=0
        )
