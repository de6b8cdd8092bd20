"""The home page: a welcome for visitors; for residents, what needs them now."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import Role
from portal.services.people.guardians import valid_guardianships
from portal.services.people.home import home_summary
from portal.views.acting import acting_for

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    if not current_user.is_authenticated or current_user.role not in (Role.RESIDENT, Role.GUARDIAN):
        return render_template("home/welcome.html", title=_("Services for disabled residents"))
    today = datetime.now(UTC).date()
    if current_user.role == Role.GUARDIAN and not valid_guardianships(
        db.session, current_user, today
    ):
        return render_template("acting/choose.html", title=_("Who are you acting for?"), grants=[])
    resident = acting_for(today)
    return render_template(
        "home/index.html",
        title=_("Your home page"),
        resident=resident,
        summary=home_summary(db.session, resident),
    )
