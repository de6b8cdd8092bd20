"""The services directory (菜单式服务): what exists, who may get it, how, and whom to ask.

Open to everyone; a signed-in resident or guardian also sees the contact points of the area of
the resident they act for.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import Area, Resident, Role
from portal.services.cases.needs import requestable_items
from portal.services.plans.directory import DOMAINS, contact_points, group_by_domain
from portal.views.acting import acting_for

bp = Blueprint("directory", __name__)

HOTLINE = "12385"


@bp.get("/services")
def index() -> ResponseReturnValue:
    resident: Resident | None = None
    contacts: list[Area] = []
    is_resident_side = current_user.is_authenticated and current_user.role in (
        Role.RESIDENT,
        Role.GUARDIAN,
    )
    if is_resident_side:
        resident = acting_for(datetime.now(UTC).date())
        contacts = contact_points(resident.area)
    items = {domain.code: group for domain, group in group_by_domain(requestable_items(db.session))}
    return render_template(
        "directory/index.html",
        title=_("Services you can get"),
        domains=[(domain, items.get(domain.code, [])) for domain in DOMAINS],
        resident=resident,
        contacts=contacts,
        can_ask=is_resident_side,
        hotline=HOTLINE,
    )
