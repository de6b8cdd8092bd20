"""POST /webhooks/twilio/sms: a text message a resident sent to our number.

The reply goes back in the webhook's answer as TwiML `<Message>`, not as a queued
notification, for three reasons: the reply to 退订/STOP must reach the person who has just
opted out, and the outbox rightly sends nothing to anyone opted out; it needs no queue, so
residents are answered even while Redis is down; and it cannot be silently lost, because the
`InboundMessage` row records what the text did and the same reply is worded from it whenever
Twilio calls again. A text that becomes a case is acknowledged by the outbox as any case is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Response, abort, current_app, request
from sqlalchemy.exc import IntegrityError
from twilio.twiml.messaging_response import MessagingResponse

from portal.extensions import db
from portal.models import InboundMessage
from portal.services.inbound.sms_in import receive_sms, recorded, reply_text
from portal.webhooks import bp

log = logging.getLogger(__name__)


@bp.post("/sms")
def sms_in() -> Response:
    sid = request.form.get("MessageSid", "").strip()
    if not sid:
        abort(400)
    inbound = _record(sid)
    log.info("text received", extra={"inbound_id": inbound.id, "outcome": inbound.outcome})
    answer = MessagingResponse()
    text = reply_text(db.session, inbound, hotline=current_app.config["HOTLINE_NUMBER"])
    if text:
        answer.message(text)
    return Response(str(answer), mimetype="application/xml")


def _record(sid: str) -> InboundMessage:
    """The text's record: acted on and committed now, or as a concurrent request left it."""
    try:
        receive_sms(
            db.session,
            message_sid=sid,
            from_phone=request.form.get("From", "").strip(),
            body=request.form.get("Body", ""),
            now=datetime.now(UTC),
        )
        db.session.commit()
    except IntegrityError:
        # The same MessageSid committed by a request running at the same time: answer as it did.
        db.session.rollback()
    # Read back after the commit: jobs run inline after it may have ended the session.
    inbound = recorded(db.session, sid)
    if inbound is None:  # pragma: no cover - rolled back for another reason
        raise RuntimeError("text not recorded")
    return inbound
