"""A person changing their own password: it ends their other sessions, and it is audited
(`account.password_change`, `account.password_change_failed` for a wrong current password),
never with a password. Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from portal.models import AuditEvent, User
from portal.models.base import AnySession

CHANGED = "account.password_change"
REFUSED = "account.password_change_failed"


def change_password(
    session: AnySession, user: User, *, password_hash: str, ip_address: str | None, now: datetime
) -> None:
    """Store the new password's hash and end every session of the account made before.

    The caller signs the current session in again with the new session version, so only the
    other sessions end.
    """
    user.password_hash = password_hash
    user.session_version += 1
    _audit(session, user, CHANGED, ip_address, now)


def refuse_password_change(
    session: AnySession, user: User, *, ip_address: str | None, now: datetime
) -> None:
    """Record a change refused because the current password was wrong (a stolen session
    guessing the password leaves a trace)."""
    _audit(session, user, REFUSED, ip_address, now)


def _audit(
    session: AnySession, user: User, action: str, ip_address: str | None, now: datetime
) -> None:
    session.add(
        AuditEvent(
            actor_id=user.id,
            action=action,
            resident_id=user.resident_id,
            object_type="user",
            object_id=user.id,
            ip_address=ip_address,
            data={},
            created_at=now,
        )
    )
    session.flush()
