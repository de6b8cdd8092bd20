"""Twilio's status callbacks: delivery receipts for texts and the outcome of calls.

Each message's callback address ends with our notification id (`/status/<id>`), so a receipt
finds its message even when it overtakes the send's own answer; `/status` without an id stays
for messages sent before the id was added. What a receipt does is `services.receipts`' work.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import request
from flask.typing import ResponseReturnValue

from portal.extensions import db
from portal.services.outbound.receipts import Receipt, take_receipt
from portal.webhooks import bp

log = logging.getLogger(__name__)


@bp.post("/status")
@bp.post("/status/<int:notification_id>")
def status_callback(notification_id: int | None = None) -> ResponseReturnValue:
    """Record a receipt; always 204 (an unmatched one is kept, not Twilio's to retry)."""
    form = request.form
    if form.get("MessageSid"):
        kind, ref, raw = "sms", form["MessageSid"], form.get("MessageStatus", "")
    else:
        kind, ref, raw = "call", form.get("CallSid", ""), form.get("CallStatus", "")
    if not ref or not raw:
        log.warning("status callback without a reference or status ignored")
        return "", 204
    receipt = Receipt(kind, ref, raw, form.get("ErrorCode") or None, notification_id)
    take_receipt(db.session, receipt, now=datetime.now(UTC))
    db.session.commit()
    return "", 204
