"""The outbox: every message queued, sent or skipped for residents in the user's area."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from admin import bp
from portal.auth import staff_required
from portal.extensions import db
from portal.models import Notification
from portal.services.access import notifications_for

PAGE_SIZE = 100


@bp.get("/outbox")
@staff_required
def outbox() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    messages = db.session.scalars(
        notifications_for(db.session, current_user, today)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return render_template("admin/outbox.html", title=_("Outbox"), messages=messages)
