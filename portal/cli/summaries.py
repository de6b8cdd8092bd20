"""`flask summaries`: the reporting summaries the coverage, dashboard and supervision pages read.

flask summaries rebuild      # every row again from the raw tables (after an upgrade, a restore,
                             # or a bulk change made in SQL); pages keep the old figures until done
flask summaries refresh      # what the scheduler runs every interval: only the areas changed
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from portal.extensions import db

summaries_cli = AppGroup(
    "summaries", help="Reporting summaries (coverage, dashboard, supervision)."
)


@summaries_cli.command("rebuild")
def summaries_rebuild() -> None:
    """Work out every summary row again from the raw tables, in one transaction."""
    from portal.services.reporting.summaries import rebuild
    from portal.services.sla.sla import local_zone

    started = time.monotonic()
    result = rebuild(db.session, datetime.now(UTC), local_zone())
    db.session.commit()
    click.echo(
        f"summaries rebuilt: {result.areas} areas, {result.rounds} supervision rounds "
        f"in {time.monotonic() - started:.1f} s"
    )


@summaries_cli.command("refresh")
def summaries_refresh() -> None:
    """Bring the summaries up to now, as the scheduler does every interval."""
    from portal.services.reporting.summaries import refresh
    from portal.services.sla.sla import local_zone

    started = time.monotonic()
    result = refresh(db.session, datetime.now(UTC), local_zone())
    db.session.commit()
    what = "rebuilt" if result.rebuilt else "refreshed"
    click.echo(
        f"summaries {what}: {result.areas} areas, {result.rounds} supervision rounds "
        f"in {time.monotonic() - started:.1f} s"
    )
