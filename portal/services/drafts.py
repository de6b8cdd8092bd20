"""Drafts of forms whose session ended before they were sent (A11Y-27: nothing is lost)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from portal.models import FormDraft
from portal.models.base import AnySession

KEEP_FOR = timedelta(days=7)


def save_draft(session: AnySession, endpoint: str, data: dict[str, Any], now: datetime) -> str:
    """Keep `data` typed into `endpoint`'s form; returns the token that finds it again."""
    token = secrets.token_urlsafe(32)
    session.add(FormDraft(token=token, endpoint=endpoint, data=data, created_at=now))
    session.flush()
    return token


def take_draft(session: AnySession, token: str, endpoint: str) -> dict[str, Any] | None:
    """The draft for `endpoint` behind `token`, removed as it is handed back; else None."""
    draft = session.scalar(
        select(FormDraft).where(FormDraft.token == token, FormDraft.endpoint == endpoint)
    )
    if draft is None:
        return None
    data = dict(draft.data)
    session.delete(draft)
    session.flush()
    return data


def purge_drafts(session: AnySession, now: datetime) -> int:
    """Forget drafts nobody came back for within a week."""
    result = session.execute(delete(FormDraft).where(FormDraft.created_at < now - KEEP_FOR))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
