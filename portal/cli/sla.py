"""`flask sla`: the SLA policies, the working-day calendar and the sweep.

flask sla seed                         # default policies + calendar 2024..next year
flask sla seed --from-year 2020        # also older years the chinese-calendar package knows

flask sla sweep [--at ISO]             # the SLA sweep once (the scheduler runs it every minute)
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from portal.extensions import db

sla_cli = AppGroup("sla", help="SLA policies and the working-day calendar.")


@sla_cli.command("seed")
@click.option("--from-year", type=int, default=None, help="First year to load (default 2024).")
@click.option("--to-year", type=int, default=None, help="Last year to load (default next year).")
def sla_seed(from_year: int | None, to_year: int | None) -> None:
    """Add missing default SLA policies and load the calendar years the chinese-calendar
    package knows, keeping administrators' edits and years they entered by hand."""
    from portal.services.sla.calendar_admin import seed_years
    from portal.services.sla.sla import seed_calendar, seed_policies

    default = seed_years(datetime.now(UTC).date())
    first = default.start if from_year is None else from_year
    last = default.stop - 1 if to_year is None else to_year
    if first > last:
        raise click.BadParameter("--from-year must not be after --to-year")
    policies = seed_policies(db.session)
    known = seed_calendar(db.session, range(first, last + 1))
    db.session.commit()
    missing = sorted(set(range(first, last + 1)) - known)
    click.echo(f"policies added: {policies}; calendar years known: {sorted(known)}")
    if missing:
        click.echo(
            f"no official calendar in the package for: {missing} "
            "(deadlines there fall back to Monday-Friday; enter them in /admin/calendar)"
        )


@sla_cli.command("sweep")
@click.option("--at", "at", default=None, help="Sweep as of this ISO time (default: now).")
def sla_sweep(at: str | None) -> None:
    """Warn and escalate every case whose next SLA check has come, once (what the scheduler
    runs every minute through `flask jobs scheduler`)."""
    from portal.services.cases.sweep import sweep

    moment = datetime.now(UTC) if at is None else datetime.fromisoformat(at)
    if moment.tzinfo is None:
        raise click.BadParameter("--at needs a time zone, e.g. 2026-11-24T09:00+08:00")
    result = sweep(db.session, moment)
    click.echo(
        f"cases: {result.cases}, warnings: {result.warnings}, "
        f"escalations: {result.escalations}, closed: {result.closed}"
    )
