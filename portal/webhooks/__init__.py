"""Twilio's webhooks: delivery receipts, texts and calls coming in, and the voice call flow.

Every request must carry a valid `X-Twilio-Signature`; anything else gets 403 and changes
nothing. A signed request holding a control character (a NUL cannot even be stored) gets a
plain-text 400 that names the parameter. The modules below add their routes to `bp`.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response

from portal.extensions import csrf
from portal.input_guard import InputRefused, refuse_control_characters
from portal.webhooks.signature import require_twilio_signature

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
csrf.exempt(bp)  # the signature stands in for the CSRF token: Twilio has no session
bp.before_request(require_twilio_signature)
bp.before_request(refuse_control_characters)


@bp.errorhandler(InputRefused)
def _refused(error: InputRefused) -> Response:
    """Plain text: Twilio's debugger shows it as it is."""
    return Response(error.description, 400, mimetype="text/plain")


def init_app(app: Flask) -> None:
    _import_routes()
    app.register_blueprint(bp)


def _import_routes() -> None:
    import importlib

    for name in ("status", "sms_in", "voice_out", "voice_in"):
        try:
            importlib.import_module(f"portal.webhooks.{name}")
        except ModuleNotFoundError as error:  # pragma: no cover - while being built
            if error.name != f"portal.webhooks.{name}":
                raise
