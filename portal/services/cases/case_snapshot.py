"""What a staff action changed on a case, for its audit row: `snapshot` before, `changes` after.

`portal.services.cases.staff_actions` takes the actions; the staff case page records what each
one changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.models import Case
from portal.models.base import AnySession
from portal.services.reference.area_tree import area_tree


def snapshot(session: AnySession, case: Case) -> dict[str, Any]:
    """What a staff action may change on a case, as plain values (areas by code), so its
    audit row can say what changed: take one before the action and `changes` after it."""

    nodes = area_tree(session).nodes

    def code(area_id: int | None) -> str | None:
        node = nodes.get(area_id) if area_id is not None else None
        return node.code if node is not None else None

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "status": case.status.value,
        "assignee_id": case.assignee_id,
        "area": code(case.area_id),
        "escalated_to_area": code(case.escalated_to_area_id),
        "escalation_level": case.escalation_level,
        "urgent": case.urgent,
        "first_response_due_at": moment(case.first_response_due_at),
        "resolve_due_at": moment(case.resolve_due_at),
        "extensions_used": case.extensions_used,
        "merged_into_id": case.merged_into_id,
    }


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields two snapshots differ in: name → [before, after]."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }
