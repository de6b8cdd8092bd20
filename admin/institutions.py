"""Service institutions (/admin/institutions): their deliveries, ratings and precision score.

For county staff and supervisors (and administrators), who purchase the institutions' services
and score them; an institution does not see the others.
"""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from admin import bp
from portal.auth import roles_required
from portal.extensions import db
from portal.models import Role
from portal.services.people.institutions import FULL_SCORE, summaries
from portal.services.reference.area_tree import area_tree


@bp.get("/institutions")
@roles_required(Role.COUNTY_STAFF, Role.SUPERVISOR)
def institutions() -> ResponseReturnValue:
    return render_template(
        "admin/institutions.html",
        title=_("Service institutions"),
        rows=summaries(db.session, current_user),
        areas=area_tree(db.session).nodes,  # names from the tree, not a query per institution
        full_score=FULL_SCORE,
    )
