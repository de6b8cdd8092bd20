"""Twilio's webhooks: delivery receipts, texts and calls coming in, and the voice call flow.

Every request must carry a valid `X-Twilio-Signature`; anything else gets 403 and changes
nothing. A signed request holding a control character (a NUL cannot even be stored) or a
value longer than Twilio sends gets a plain-text 400 that names the parameter. The modules
that add their routes to `bp` are imported by name in `init_app`, so a missing one stops the
app from starting.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request
from flask_babel import gettext as _

from portal.extensions import csrf
from portal.input_guard import InputRefused, refuse_control_characters, shown_name
from portal.webhooks.signature import require_twilio_signature

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
csrf.exempt(bp)  # the signature stands in for the CSRF token: Twilio has no session
#: The longest each parameter we store can be (its column's size; a SID is 34 characters);
#: anything else at most LONGEST_OTHER (an SMS body is at most 1,600).
LONGEST = {
    "MessageSid": 64,
    "CallSid": 64,
    "MessageStatus": 24,
    "CallStatus": 24,
    "ErrorCode": 16,
    "From": 20,
    "To": 20,
    "RecordingUrl": 500,
}
LONGEST_OTHER = 5000


def refuse_oversized() -> None:
    """A value longer than Twilio ever sends would not fit where it is kept: a 400."""
    for name, value in request.form.items(multi=True):
        limit = LONGEST.get(name, LONGEST_OTHER)
        if len(value) > limit:
            message = _(
                "%(name)s is longer than Twilio ever sends (at most %(limit)d characters).",
                name=shown_name(name),
                limit=limit,
            )
            raise InputRefused(name, message=message)


bp.before_request(require_twilio_signature)
bp.before_request(refuse_control_characters)
bp.before_request(refuse_oversized)


@bp.errorhandler(InputRefused)
def _refused(error: InputRefused) -> Response:
    """Plain text: Twilio's debugger shows it as it is."""
    return Response(error.description, 400, mimetype="text/plain")


def init_app(app: Flask) -> None:
    from portal.webhooks import sms_in, status, voice_in, voice_out  # noqa: F401  (routes on bp)

    app.register_blueprint(bp)
