"""The outbox: every message queued, sent or skipped for residents in the user's area.

Each row tells staff the whole life of a message: Twilio's last word and when it came, the
error code, why it was not sent or failed (in plain words, not Twilio's codes), how many
tries it took, when the next one is due, and which message a fallback stands in for.
Administrators also see delivery receipts that never matched a message (a second send of one
message at the provider, or a receipt for a message we have no record of).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user

from admin import bp
from admin.audit import record_list
from portal.auth import staff_required
from portal.extensions import db
from portal.jobs.periodic import NO_RECEIPT
from portal.models import Notification, NotificationStatus, Role
from portal.services.outbound.receipts import unmatched
from portal.services.people.access import notifications_for
from portal.services.reference.labels import SKIP_REASONS

PAGE_SIZE = 100

#: Why a message did not reach anyone, by our own reason codes (`skip_reason`).
REASONS: dict[str, LazyString] = {
    **SKIP_REASONS,
    NO_RECEIPT: _l("no delivery report came back in time"),
}
#: Twilio's error codes staff meet most, in plain words.
ERROR_CODES: dict[str, LazyString] = {
    "21211": _l("the phone number is not valid"),
    "21614": _l("the number cannot receive text messages"),
    "30003": _l("the phone was switched off or out of reach"),
    "30005": _l("the number does not exist"),
    "30006": _l("the number cannot receive text messages"),
    "30007": _l("the phone network blocked it as unwanted"),
}
#: Twilio's final statuses that mean nobody got the message.
PROVIDER_FAILURES: dict[str, LazyString] = {
    "undelivered": _l("the phone network could not deliver it"),
    "failed": _l("the provider could not send it"),
    "busy": _l("the line was busy"),
    "no-answer": _l("nobody answered"),
    "canceled": _l("it was cancelled before it went out"),
}


def reason(message: Notification) -> str | None:
    """Why `message` was not sent or failed, in the reader's language (None if it did not)."""
    if message.status not in (NotificationStatus.SKIPPED, NotificationStatus.FAILED):
        return None
    for table, key in (
        (REASONS, message.skip_reason),
        (ERROR_CODES, message.error_code),
        (PROVIDER_FAILURES, message.provider_status),
    ):
        if key and key in table:
            return str(table[key])
    if message.status == NotificationStatus.SKIPPED:
        return _("no reason was recorded")
    return _("the provider refused it or could not be reached")


@bp.get("/outbox")
@staff_required
def outbox() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    messages = db.session.scalars(
        notifications_for(db.session, current_user, today)
        # Newest first by id (ids follow creation): read backwards along the primary key and
        # stopped at the page, instead of sorting every message in the scope by its time.
        .order_by(Notification.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    # Receipts that matched no message belong to no area: only administrators see them.
    strays = unmatched(db.session, now=datetime.now(UTC)) if current_user.role == Role.ADMIN else []
    html = render_template(
        "admin/outbox.html", title=_("Outbox"), messages=messages, reason=reason, strays=strays
    )
    # The audit row last: a commit expires every loaded row, and the page would reload each.
    record_list("outbox.view", {}, shown=len(messages) + len(strays))
    db.session.commit()
    return html
