"""Recording staff reads of residents' records, and staff actions on cases."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import request
from flask_login import current_user

from portal.extensions import db
from portal.models import AuditEvent, Case


def record_read(action: str, resident_id: int, object_type: str, object_id: int) -> None:
    """Audit that the signed-in staff member looked at a resident's data (committed by caller)."""
    db.session.add(
        AuditEvent(
            actor_id=current_user.id,
            action=action,
            resident_id=resident_id,
            object_type=object_type,
            object_id=object_id,
            ip_address=request.remote_addr,
            created_at=datetime.now(UTC),
        )
    )


def record_action(action: str, case: Case) -> None:
    """Audit a staff action on a case as `case.<action>` (committed by caller)."""
    db.session.add(
        AuditEvent(
            actor_id=current_user.id,
            action=f"case.{action}",
            resident_id=case.resident_id,
            object_type="case",
            object_id=case.id,
            ip_address=request.remote_addr,
            created_at=datetime.now(UTC),
        )
    )
