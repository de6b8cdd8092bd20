"""Give the seeded acknowledgements a history, as if the console provider had sent them.

`file_case` queues each message for delivery after commit; the demo drops those jobs (hundreds
of console messages at seed time help nobody) and records the messages as sent instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from portal.clients.job_queue import PENDING
from portal.demo.context import DemoContext
from portal.models import Case, Notification, NotificationStatus, Resident
from portal.services.outbound.messages import render
from portal.services.outbound.notifications import quiet_hours_resume
from portal.services.sla.sla import local_zone


def mark_sent(ctx: DemoContext) -> int:
    """Drop the queued delivery jobs and mark the demo county's queued messages sent.

    Returns how many messages the outbox now shows, skipped ones included.
    """
    ctx.session.info.pop(PENDING, None)
    village_ids = [village.id for village in ctx.villages]
    in_county = Notification.case_id.in_(select(Case.id).where(Case.area_id.in_(village_ids)))
    rows = ctx.session.scalars(
        select(Notification)
        .where(in_county, Notification.status == NotificationStatus.CREATED)
        .order_by(Notification.id)
    ).all()
    for row in rows:
        _mark(ctx, row)
    ctx.session.flush()
    return ctx.session.scalar(select(func.count()).where(in_county)) or 0


def _mark(ctx: DemoContext, row: Notification) -> None:
    assert row.resident_id is not None
    resident = ctx.resident(row.resident_id)
    sent_at = _send_time(row.created_at, resident)
    if sent_at > ctx.now:
        # A hold ending in the future would leave the row queued for a real send: the demo
        # records it as sent at once instead.
        sent_at = row.created_at
    if sent_at - row.created_at > timedelta(minutes=5):
        row.send_after = sent_at  # held for the resident's quiet hours, as `deliver` does
    row.status = NotificationStatus.SENT
    row.provider = "console"
    row.provider_ref = f"console-{ctx.rng.getrandbits(64):016x}"
    row.body = render(row.template, row.params, row.language)
    row.attempts = 1
    row.sent_at = sent_at + timedelta(seconds=ctx.rng.randint(2, 40))


def _send_time(created: datetime, resident: Resident) -> datetime:
    """When `deliver` would have sent a message created at `created`: after quiet hours."""
    resume = quiet_hours_resume(
        created, resident.quiet_hours_start, resident.quiet_hours_end, local_zone()
    )
    return resume or created
