"""Bringing the reporting summaries up to date in tests, as the scheduler's job would."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from portal.extensions import db
from portal.services.reporting import summaries


def refresh_summaries(now: datetime | None = None, *, commit: bool = True) -> summaries.Refreshed:
    """Run the periodic refresh at `now` (default: the real now); commit unless told not to."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    result = summaries.refresh(db.session, now or datetime.now(UTC), zone)
    if commit:
        db.session.commit()
    return result
