"""The personal service card (个性化服务卡): a printable page, for the resident and for staff.

Residents and guardians open their own at /plan/card; staff open any resident's in their scope
from the console (`admin.service_card`). `?size=large` is the large-type version, for residents
with low vision, on screen and on paper.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal.auth import resident_required
from portal.extensions import db
from portal.models import Resident
from portal.phones import mask_phone
from portal.services.plans.service_card import service_card
from portal.services.reference.labels import CATEGORIES
from portal.views.acting import acting_for

bp = Blueprint("service_card", __name__)


def render_card(resident: Resident, endpoint: str, **url_values: int) -> str:
    """The card page of `resident`, linking to its other size at `endpoint`."""
    large = request.args.get("size") == "large"
    values: dict[str, Any] = dict(url_values) if large else {**url_values, "size": "large"}
    level = resident.disability_level
    return render_template(
        "plan/service_card.html",
        title=_("Personal service card"),
        card=service_card(db.session, resident),
        category=CATEGORIES.get(resident.disability_category, ""),
        level=_("Level %(level)d", level=level) if level is not None else _("Not graded"),
        phone=mask_phone(resident.phone) if resident.phone else None,
        large=large,
        other_size_url=url_for(endpoint, **values),
        hotline=current_app.config["HOTLINE_NUMBER"],
    )


@bp.get("/plan/card")
@resident_required
def show() -> ResponseReturnValue:
    resident = acting_for(datetime.now(UTC).date())
    return render_card(resident, "service_card.show")
