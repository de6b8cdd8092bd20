"""Cases with chosen timestamps and ratings, for the dashboard's figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.extensions import db
from portal.models import Case, CaseStatus, CaseType, GivenAs, Rating, Resident, Satisfaction
from tests.factories import create_case


def make_case(resident: Resident, case_type: CaseType = CaseType.COMPLAINT, **columns: Any) -> Case:
    """A case received at `created_at`, its clock columns then set as given; flushed."""
    created_at: datetime = columns["created_at"]
    case = create_case(resident, case_type=case_type, now=created_at)
    defaults = {
        "first_responded_at": None,
        "resolved_at": None,
        "resolve_due_at": created_at + timedelta(days=20),
        "status": CaseStatus.IN_PROGRESS,
    }
    for name, value in {**defaults, **columns}.items():
        setattr(case, name, value)
    db.session.flush()
    return case


def rate(case: Case, level: Satisfaction) -> Rating:
    rating = Rating(
        resident_id=case.resident_id, case_id=case.id, level=level, given_as=GivenAs.RESIDENT
    )
    db.session.add(rating)
    db.session.flush()
    return rating
