"""Whom the signed-in person is acting for: themselves, or a resident in their care."""

from __future__ import annotations

from datetime import date

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.models import Resident, Role
from portal.services.access import guarded_resident_ids


def acting_for(today: date) -> Resident:
    """The resident whose affairs this request is about; 403 when there is none."""
    if current_user.role == Role.RESIDENT and current_user.resident_id:
        resident = db.session.get(Resident, current_user.resident_id)
    elif current_user.role == Role.GUARDIAN:
        resident = db.session.scalar(
            select(Resident)
            .where(Resident.id.in_(guarded_resident_ids(current_user, today)))
            .order_by(Resident.id)
            .limit(1)
        )
    else:
        resident = None
    if resident is None:
        abort(403)
    return resident
