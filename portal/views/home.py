"""The home page: a welcome for visitors; for residents, what needs them now."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import OPEN_STATUSES, Case, Role
from portal.services.access import cases_for
from portal.views.acting import acting_for

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    if not current_user.is_authenticated or current_user.role not in (Role.RESIDENT, Role.GUARDIAN):
        return render_template(
            "home/welcome.html", title=_("Services for disabled residents")
        )
    today = datetime.now(UTC).date()
    resident = acting_for(today)
    open_cases = db.session.scalars(
        cases_for(db.session, current_user, today)
        .where(Case.resident_id == resident.id, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.created_at.desc())
    ).all()
    return render_template(
        "home/index.html", title=_("Your home page"), resident=resident, open_cases=open_cases
    )
