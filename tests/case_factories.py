"""Cases in later states, as staff would leave them (their journey lives on the staff side)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portal.extensions import db
from portal.models import Case, CaseStatus, EventKind, Resident
from portal.services.cases.cases import append_event
from tests.factories import create_case


def resolve(case: Case, at: datetime | None = None, *, commit: bool = True) -> Case:
    """Mark `case` resolved with a public answer at `at` (now by default)."""
    at = at or datetime.now(UTC)
    append_event(
        db.session,
        case,
        EventKind.STATUS_CHANGED,
        now=at,
        body="已经处理好了。",
        data={"from": case.status.value, "to": CaseStatus.RESOLVED.value},
    )
    case.status = CaseStatus.RESOLVED
    case.first_responded_at = case.first_responded_at or at
    case.resolved_at = at
    case.next_sla_check_at = None
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return case


def create_resolved_case(resident: Resident, **kw: Any) -> Case:
    """A complaint filed and resolved just now; flushed, not committed."""
    return resolve(create_case(resident, **kw), commit=False)
