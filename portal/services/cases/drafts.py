"""Drafts of forms whose session ended before they were sent (A11Y-27: nothing is lost).

A draft is stored for a post that arrives without a session, so anyone can make one: each is
capped in size (`MAX_DRAFT_BYTES`), a browser keeps one at a time (a new draft replaces the one
its session points to), and the view limits how many one address may leave (#11, point 7).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from portal.models import FormDraft
from portal.models.base import AnySession

KEEP_FOR = timedelta(days=7)
#: The most a draft may hold, as JSON in UTF-8. The longest form (a case: 2,000 characters of
#: description, at most 3 bytes each, and a few short fields) stays well under it.
MAX_DRAFT_BYTES = 16 * 1024


class DraftTooLarge(ValueError):
    """More was posted than any draftable form can hold: it is not kept."""


def save_draft(
    session: AnySession,
    endpoint: str,
    data: dict[str, Any],
    now: datetime,
    *,
    replaces: str | None = None,
) -> str:
    """Keep `data` typed into `endpoint`'s form; returns the token that finds it again.

    The draft behind `replaces` (the browser's previous one), if any, is removed. Raises
    DraftTooLarge, keeping nothing, when `data` is over MAX_DRAFT_BYTES.
    """
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_DRAFT_BYTES:
        raise DraftTooLarge(endpoint)
    if replaces:
        session.execute(delete(FormDraft).where(FormDraft.token == replaces))
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
