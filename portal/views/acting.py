"""Whom the signed-in person is acting for: themselves, or a resident in their care.

Guardians with several dependents choose one (`/acting-for`); the choice lives in the session and
a banner on every page names it. Reading is allowed by every grant; a POST needs a grant whose
scope covers it ("cases" for requests and needs, "full" for everything else).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import resident_required
from portal.extensions import db
from portal.models import AuditEvent, Guardianship, Resident, Role
from portal.services.people.guardians import allows, guardians_of, valid_guardianships
from portal.views.safety import safe_next

bp = Blueprint("acting", __name__)
SESSION_KEY = "acting_for"
#: Blueprints and endpoints whose POSTs a "cases" grant covers: anything that raises or
#: follows a request, including corrections raised from the plan and record pages.
CASE_BLUEPRINTS = frozenset({"cases", "needs"})
CASE_ENDPOINTS = frozenset({"plan.correct_item", "record.correct"})


def acting_for(today: date) -> Resident:
    """The resident whose affairs this request is about.

    A guardian with several dependents and no choice yet is sent to choose first; one whose
    grants have all ended gets 404, like any stranger.
    """
    if current_user.role == Role.RESIDENT and current_user.resident_id:
        resident = db.session.get(Resident, current_user.resident_id)
        if resident is None:
            abort(403)
        return resident
    if current_user.role != Role.GUARDIAN:
        abort(403)
    grant = current_grant(today)
    if grant is None:
        grants = valid_guardianships(db.session, current_user, today)
        if not grants:
            abort(404)
        abort(redirect(url_for("acting.choose", next=request.full_path.rstrip("?"))))
    if request.method == "POST" and not allows(grant, _action_area()):
        abort(403)
    return grant.resident


def current_grant(today: date) -> Guardianship | None:
    """The guardian's chosen grant, if still valid; the only one when there is just one."""
    grants = valid_guardianships(db.session, current_user, today)
    chosen = session.get(SESSION_KEY)
    grant = next((gr for gr in grants if gr.resident_id == chosen), None)
    if grant is None and len(grants) == 1:
        grant = grants[0]
    return grant


def _action_area() -> str:
    if request.blueprint in CASE_BLUEPRINTS or request.endpoint in CASE_ENDPOINTS:
        return "cases"
    return "plan"


def banner() -> dict[str, object] | None:
    """What the acting-for banner shows, for guardians; None for everyone else."""
    if not current_user.is_authenticated or current_user.role != Role.GUARDIAN:
        return None
    today = datetime.now(UTC).date()
    grant = current_grant(today)
    if grant is None:
        return None
    several = len(valid_guardianships(db.session, current_user, today)) > 1
    return {"name": grant.resident.name, "several": several}


@bp.route("/acting-for", methods=["GET", "POST"])
@resident_required
def choose() -> ResponseReturnValue:
    """A guardian or agent chooses whom they act for."""
    if current_user.role != Role.GUARDIAN:
        abort(404)
    now = datetime.now(UTC)
    grants = valid_guardianships(db.session, current_user, now.date())
    if request.method == "POST":
        chosen = request.form.get("resident_id", type=int)
        grant = next((gr for gr in grants if gr.resident_id == chosen), None)
        if grant is None:
            abort(404)
        session[SESSION_KEY] = grant.resident_id
        db.session.add(
            AuditEvent(
                actor_id=current_user.id,
                action="guardian.act_for",
                resident_id=grant.resident_id,
                on_behalf_of_id=grant.resident_id,
                object_type="guardianship",
                object_id=grant.id,
                ip_address=request.remote_addr,
                created_at=now,
            )
        )
        db.session.commit()
        flash(_("You are now acting for %(name)s.", name=grant.resident.name), "success")
        return redirect(safe_next(request.args.get("next")))
    return render_template("acting/choose.html", title=_("Who are you acting for?"), grants=grants)


@bp.get("/acting-for-me")
@resident_required
def guardians() -> ResponseReturnValue:
    """A resident sees everyone who may act, or once could act, for them."""
    if current_user.role != Role.RESIDENT:
        abort(404)
    resident = acting_for(datetime.now(UTC).date())
    return render_template(
        "acting/guardians.html",
        title=_("Who may act for you"),
        grants=guardians_of(db.session, resident, datetime.now(UTC).date()),
        today=datetime.now(UTC).date(),
    )
