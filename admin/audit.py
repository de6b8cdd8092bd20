"""Recording staff reads of residents' records and of lists, staff actions on cases, and
requests the console refused."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from admin import bp
from portal.extensions import db
from portal.models import AuditEvent, Case
from portal.services.people.access import record_refusal

log = logging.getLogger(__name__)


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


def record_list(action: str, filters: dict[str, Any], shown: int) -> None:
    """Audit that the signed-in staff member read a list (`<list>.view`): the filters they
    chose and how many rows the page showed (committed by caller)."""
    db.session.add(
        AuditEvent(
            actor_id=current_user.id,
            action=action,
            ip_address=request.remote_addr,
            data={"filters": filters, "shown": shown},
            created_at=datetime.now(UTC),
        )
    )


def record_action(
    action: str,
    case: Case,
    *,
    changes: dict[str, list[Any]] | None = None,
    reason: str | None = None,
    event_id: int | None = None,
) -> None:
    """Audit a staff action on a case as `case.<action>` (committed by caller): what it
    changed (`changes`: field → [before, after]), the reason given, and the timeline event it
    wrote (whose text, a reply or a note, stays in the timeline)."""
    data: dict[str, Any] = {"changes": changes or {}}
    if reason:
        data["reason"] = reason
    if event_id is not None:
        data["event_id"] = event_id
    db.session.add(
        AuditEvent(
            actor_id=current_user.id,
            action=f"case.{action}",
            resident_id=case.resident_id,
            object_type="case",
            object_id=case.id,
            ip_address=request.remote_addr,
            data=data,
            created_at=datetime.now(UTC),
        )
    )


@bp.after_request
def record_refused(response: Response) -> Response:
    """Every console request a signed-in user was refused (404: out of their area, not for
    their role, or no such thing) is audited as `access.refused` with what it asked for."""
    if response.status_code != 404 or request.url_rule is None:
        return response
    if not current_user.is_authenticated:
        return response
    try:
        db.session.rollback()  # nothing the refused view left pending may ride along
        record_refusal(
            db.session,
            actor_id=current_user.id,
            asked=request.view_args or {},
            request={"endpoint": request.endpoint, "method": request.method, "path": request.path},
            ip_address=request.remote_addr,
            now=datetime.now(UTC),
        )
        db.session.commit()
    except SQLAlchemyError:
        with suppress(SQLAlchemyError):  # the database may be the reason
            db.session.rollback()
        log.warning("could not audit a refused request", extra={"path": request.path})
    return response
