"""Flask commands: reference data, demo data, and the job worker and scheduler."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.extensions import db

log = logging.getLogger(__name__)

data_cli = AppGroup("data", help="Reference data.")
demo_cli = AppGroup("demo", help="Demo data for trying Wenxu out.")
jobs_cli = AppGroup("jobs", help="Background jobs (RQ).")


@data_cli.command("seed")
def data_seed() -> None:
    """Load the need catalogue, default SLA policies and the working-day calendar."""
    from portal.services.reference.reference_data import seed_reference_data

    counts = seed_reference_data(db.session, datetime.now(UTC).date())
    db.session.commit()
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


@demo_cli.command("seed")
@click.option("--residents", default=300, show_default=True, help="How many residents.")
def demo_seed(residents: int) -> None:
    """Create the demo county, residents, plans, cases and the fixed demo accounts."""
    if not current_app.config["CONFIG_OBJECT"].DEMO_DATA_ALLOWED:
        raise click.ClickException("demo data is refused under the production configuration")
    from portal.demo import seed_demo

    summary = seed_demo(db.session, now=datetime.now(UTC), residents=residents)
    db.session.commit()
    click.echo(summary)


@demo_cli.command("code")
def demo_code() -> None:
    """Print the current second-factor code of the demo accounts that need one."""
    if not current_app.config["CONFIG_OBJECT"].DEMO_DATA_ALLOWED:
        raise click.ClickException("demo data is refused under the production configuration")
    import pyotp

    from portal.demo import DEMO_TOTP_SECRET

    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    left = totp.interval - int(time.time()) % totp.interval
    click.echo(f"{totp.now()} (county staff, supervisor and administrator; {left} s left)")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def jobs_worker(burst: bool) -> None:
    """Run an RQ worker on every Wenxu queue (needs REDIS_URL)."""
    from portal.jobs.worker import run_worker

    run_worker(burst=burst)


@jobs_cli.command("scheduler")
@click.option("--interval", default=60, show_default=True, help="Seconds between sweeps.")
@click.option("--once", is_flag=True, help="Run the sweeps once and stop.")
def jobs_scheduler(interval: int, once: bool) -> None:
    """Enqueue the periodic sweeps. Exactly one runs: a second one stops with the holder's name."""
    from portal.jobs.scheduler import SchedulerStopped, run_scheduler

    try:
        run_scheduler(interval=interval, once=once)
    except SchedulerStopped as error:
        raise click.ClickException(str(error)) from error
    except KeyboardInterrupt:
        pass  # Ctrl-C: the lock was let go on the way out; stopping is not a failure


def register_commands(app: Flask) -> None:
    from portal.cli.sla import sla_cli
    from portal.cli.summaries import summaries_cli
    from portal.cli.translations import register as register_translations

    for group in (data_cli, demo_cli, jobs_cli):
        app.cli.add_command(group)
    register_translations(app)
    app.cli.add_command(sla_cli)
    app.cli.add_command(summaries_cli)
