"""A resident's personal service card (个性化服务卡), for staff to print and hand over.

The page itself is the portal's (`portal.views.service_card`), so what staff print is exactly
what the resident sees when they open their own card.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from admin import bp
from admin.audit import record_read
from portal.auth import staff_required
from portal.extensions import db
from portal.models import Resident
from portal.services.people.access import residents_for
from portal.views.service_card import render_card


@bp.get("/residents/<int:resident_id>/card")
@staff_required
def service_card(resident_id: int) -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    resident = db.session.scalar(
        residents_for(db.session, current_user, today).where(Resident.id == resident_id)
    )
    if resident is None:
        abort(404)
    html = render_card(resident, "admin.service_card", resident_id=resident.id)
    # The audit row after the card is drawn: a commit expires the resident and the card would
    # read it again.
    record_read("service_card.view", resident.id, "resident", resident.id)
    db.session.commit()
    return html
