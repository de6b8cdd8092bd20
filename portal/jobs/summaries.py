"""Jobs that keep the reporting summaries current (see `portal.services.reporting.summaries`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from portal.extensions import db
from portal.services.reporting import summaries
from portal.services.sla.sla import local_zone

log = logging.getLogger(__name__)


def refresh_summaries() -> int:
    """Bring the summaries up to now: the areas changed since the last run (a rebuild on the
    first run, when one was asked for, and once a day). Returns the areas worked out."""
    result = summaries.refresh(db.session, datetime.now(UTC), local_zone())
    db.session.commit()
    log.info(
        "summaries refreshed",
        extra={"areas": result.areas, "rounds": result.rounds, "rebuilt": result.rebuilt},
    )
    return result.areas
