"""The case queue and a case's page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from admin import bp
from admin.audit import record_read
from portal.auth import staff_required
from portal.extensions import db
from portal.models import OPEN_STATUSES, Case
from portal.services.access import cases_for
from portal.services.labels import CASE_TYPES

PAGE_SIZE = 50


@bp.get("/")
@staff_required
def queue() -> ResponseReturnValue:
    """Open cases in the user's area, the most urgent deadline first."""
    now = datetime.now(UTC)
    scoped = cases_for(db.session, current_user, now.date()).where(Case.status.in_(OPEN_STATUSES))
    total = db.session.scalar(select(func.count()).select_from(scoped.subquery()))
    cases = db.session.scalars(
        scoped.order_by(Case.next_due_at.asc(), Case.id).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "admin/queue.html", title=_("Open cases"), cases=cases, total=total, now=now
    )


@bp.get("/cases/<int:case_id>")
@staff_required
def case(case_id: int) -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    found = db.session.scalar(cases_for(db.session, current_user, today).where(Case.id == case_id))
    if found is None:
        abort(404)
    record_read("case.view", found.resident_id, "case", found.id)
    db.session.commit()
    return render_template(
        "admin/case.html",
        title=_("Case %(reference)s", reference=found.reference),
        case=found,
        case_type=CASE_TYPES[found.type.value],
    )
