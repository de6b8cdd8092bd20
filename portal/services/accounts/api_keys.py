"""API keys for systems that hand cases over through Open311 (a 12345/12385 hotline).

A key is shown once, when it is made; only its keyed hash (the same HMAC as the identifier
lookups, `crypto.cipher().lookup`) and its first characters are stored. A key files and reads
cases only inside its area's subtree. Creating and revoking write an `AuditEvent`
(`api_key.create`, `api_key.revoke`). Functions flush, never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from portal.models import ApiKey, Area, AuditEvent
from portal.models.base import AnySession
from portal.services.people.crypto import cipher

#: Every key starts with this, so a leaked one is recognisable in logs and code searches.
KEY_PREFIX = "wx311_"
PREFIX_SHOWN = 12  # characters of the key kept in clear (ApiKey.key_prefix is String(12))
NAME_LENGTH = 100


@dataclass(frozen=True)
class NewKey:
    """A key just made: `secret` exists only here, never in the database."""

    row: ApiKey
    secret: str


def key_hash(secret: str) -> str:
    return cipher().lookup("api_key:" + secret.strip())


def create_key(
    session: AnySession,
    *,
    name: str,
    area: Area,
    actor_id: int | None,
    now: datetime,
    ip_address: str | None = None,
) -> NewKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name.strip(),
        key_hash=key_hash(secret),
        key_prefix=secret[:PREFIX_SHOWN],
        area_id=area.id,
        created_by_id=actor_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _audit(session, "api_key.create", row, actor_id, ip_address, now)
    return NewKey(row=row, secret=secret)


def revoke_key(
    session: AnySession, key: ApiKey, *, actor_id: int | None, now: datetime, ip_address: str | None
) -> bool:
    """Revoke `key` from now on; False when it was revoked already."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = now
    session.flush()
    _audit(session, "api_key.revoke", key, actor_id, ip_address, now)
    return True


def find_active_key(session: AnySession, secret: str | None) -> ApiKey | None:
    """The unrevoked key whose secret is `secret`, or None."""
    if not secret or not secret.strip():
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(secret)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def touch(key: ApiKey, now: datetime) -> bool:
    """Record use, at most once a minute (a busy hotline need not rewrite the row each call)."""
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= 60:
        key.last_used_at = now
        return True
    return False


def key_list() -> Select[ApiKey]:
    """Every key, newest first, with its area loaded."""
    return (
        select(ApiKey)
        .options(selectinload(ApiKey.area))
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
    )


def _audit(
    session: AnySession,
    action: str,
    key: ApiKey,
    actor_id: int | None,
    ip_address: str | None,
    now: datetime,
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            object_type="api_key",
            object_id=key.id,
            ip_address=ip_address,
            data={"name": key.name, "area_id": key.area_id, "key_prefix": key.key_prefix},
            created_at=now,
        )
    )
    session.flush()
