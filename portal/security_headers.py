"""Security headers on every response: what the browser may load, frame, send and sniff.

A small `after_request` hook rather than Flask-Talisman: Talisman's last release is from 2023,
it has no Cross-Origin-Opener-Policy, and its defaults redirect to HTTPS and rewrite the session
cookie's flags, which the proxy (docs/deploy.md) and our settings already decide. What we need
is a fixed set of headers, and these lines are all of it.

The policy is strict because the pages need nothing else: one stylesheet and one script from
/static, no inline script or style (no `<script>` body, no `on…=` handler, no `style=`
attribute: a test checks the templates), no other origin. A page that one day needs an inline
script should get a nonce, never 'unsafe-inline'.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",  # the session warning's keep-alive
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)

#: Powerful features no page uses. The field app for home visits may one day want the camera
#: (a photo of a certificate), the microphone (a spoken note) or geolocation (where a visit
#: happened): grant only that one to our own pages then, e.g. `camera=(self)`.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # frame-ancestors for current browsers, X-Frame-Options for old ones.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Our own addresses (with case numbers in them) never go to another site; same-origin
    # requests keep their referrer, which Flask-WTF's CSRF check needs over HTTPS.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Add the headers a view has not set itself; HSTS only where the configuration asks."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    hsts = current_app.config.get("STRICT_TRANSPORT_SECURITY")
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", hsts)
    return response
