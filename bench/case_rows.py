"""The case rows the benches write in bulk (not through file_case): one builder, shared."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.models import CaseChannel, CaseStatus, CaseType


def case_row(
    reference: str,
    resident: Any,
    created: datetime,
    due: datetime,
    check: datetime | None,
    status: CaseStatus = CaseStatus.IN_PROGRESS,
) -> dict[str, Any]:
    """An open complaint by `resident`, answered two hours after `created`, due to be resolved
    at `due` with its warning at two thirds of the time, next checked by the sweep at `check`."""
    return {
        "reference": reference,
        "type": CaseType.COMPLAINT,
        "status": status,
        "resident_id": resident.id,
        "area_id": resident.area_id,
        "channel": CaseChannel.WEB,
        "description": "bench",
        "language": "zh_CN",
        "escalation_level": 0,
        "urgent": False,
        "reopen_count": 0,
        "extensions_used": 0,
        "calendar_unknown": False,
        "created_at": created,
        "clock_started_at": created,
        "first_responded_at": created + timedelta(hours=2),
        "resolve_due_at": due,
        "current_due_at": due,
        "current_warn_at": created + (due - created) * 2 / 3,
        "next_sla_check_at": check,
    }
