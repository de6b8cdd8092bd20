"""One submit, one record: the `form_submission` rows that tie a rendered form to what it made.

A creating view claims its form's one-time token before it makes anything, in the same
transaction as the record. The token's unique index is what keeps two identical posts from
both making one: the second insert of the same token fails (on PostgreSQL it waits for the
first transaction and fails once that commits), and the view then shows the first one's record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.models.base import AnySession
from portal.models.submission import FormSubmission


def find(session: AnySession, token: str) -> FormSubmission | None:
    """The submission a token already made, if any."""
    return session.scalar(select(FormSubmission).where(FormSubmission.token == token))


def claim(
    session: AnySession, *, token: str, kind: str, user_id: int | None, now: datetime
) -> FormSubmission:
    """Take the token for this submit; raises IntegrityError if another submit has it.

    The row is flushed at once, before the record is made, so a racing second submit stops at
    the unique index instead of doing the work twice (and rolls back without a trace).
    """
    submission = FormSubmission(token=token, kind=kind, user_id=user_id, created_at=now)
    session.add(submission)
    session.flush()
    return submission


def made(
    session: AnySession, submission: FormSubmission, record_id: int | None, kind: str | None
) -> None:
    """Record what the claimed submit made: the record's id, and its kind if it says more."""
    submission.record_id = record_id
    if kind is not None:
        submission.kind = kind
    session.flush()
