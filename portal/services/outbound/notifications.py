"""Creating notifications: a row in the caller's transaction, delivery after commit."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import select

from portal.clients.job_queue import QUEUE_NOTIFY, after_commit_batched
from portal.models import (
    AuditEvent,
    Case,
    Channel,
    DisabilityCategory,
    MessageChannel,
    Notification,
    NotificationStatus,
    Resident,
    User,
)
from portal.models.base import AnySession
from portal.models.bulk_rows import insert_rows

#: The delivery job, by name: services stand below the jobs and never import them.
DELIVER_MANY = "portal.jobs.deliver.deliver_many"

CHANNEL_PLAN = {
    Channel.SMS: [MessageChannel.SMS],
    Channel.VOICE: [MessageChannel.VOICE],
    Channel.BOTH: [MessageChannel.VOICE, MessageChannel.SMS],
    Channel.NONE: [],
}


def channel_plan(resident: Resident) -> list[MessageChannel]:
    """The channels a message goes out on, from the resident's preference and profile.

    An opt-out always wins. A blind resident hears first: an SMS preference becomes a call
    (the fallback chain texts them if the call fails). A deaf resident is never called.
    """
    if resident.opted_out_at is not None:
        return []
    planned = CHANNEL_PLAN[resident.channel]
    if resident.disability_category == DisabilityCategory.HEARING:
        return [MessageChannel.SMS] if planned else []
    if (
        resident.disability_category == DisabilityCategory.VISUAL
        and resident.channel == Channel.SMS
    ):
        return [MessageChannel.VOICE]
    return planned


def notify_resident(
    session: AnySession,
    resident: Resident,
    *,
    template: str,
    params: dict[str, Any],
    dedupe_key: str,
    now: datetime,
    case: Case | None = None,
    override_quiet_hours_by: User | None = None,
) -> list[Notification]:
    """Queue `template` to the resident on each channel of their plan (`channel_plan`).

    Nothing is silently dropped: when no message can be sent (opted out, no phone), a
    `skipped` row records why, and the staff outbox shows it. `override_quiet_hours_by` (an
    urgent case) sends even in the resident's quiet hours; who decided it is audited.
    """
    channels = channel_plan(resident)
    common = {
        "resident_id": resident.id,
        "case_id": case.id if case else None,
        "template": template,
        "params": params,
        "language": resident.language,
        "to_phone": resident.phone,
        "created_at": now,
    }
    skip_reason = "opted_out" if not channels else None if resident.phone else "no_phone"
    if skip_reason:
        row = Notification(
            dedupe_key=f"{dedupe_key}:skipped",
            channel=MessageChannel.SMS,
            status=NotificationStatus.SKIPPED,
            skip_reason=skip_reason,
            **common,
        )
        session.add(row)
        session.flush()
        return [row]
    override = override_quiet_hours_by is not None
    rows = [
        queue_message(
            session,
            dedupe_key=f"{dedupe_key}:{ch}",
            channel=ch,
            override_quiet_hours=override,
            **common,
        )
        for ch in channels
    ]
    if override_quiet_hours_by is not None:
        _audit_override(session, override_quiet_hours_by, resident, case, template, rows, now)
    return rows


def _audit_override(
    session: AnySession,
    by: User,
    resident: Resident,
    case: Case | None,
    template: str,
    rows: list[Notification],
    now: datetime,
) -> None:
    """Record who sent these messages in the resident's quiet hours (an urgent case)."""
    session.add(
        AuditEvent(
            actor_id=by.id,
            action="notification.override_quiet_hours",
            resident_id=resident.id,
            object_type="case" if case else "resident",
            object_id=case.id if case else resident.id,
            data={"template": template, "notifications": [row.id for row in rows]},
            created_at=now,
        )
    )
    session.flush()


def queue_message(session: AnySession, **columns: Any) -> Notification:
    """Add one message row (any `Notification` columns) and deliver it after commit."""
    row = Notification(**columns)
    session.add(row)
    session.flush()
    after_commit_batched(session, QUEUE_NOTIFY, DELIVER_MANY, row.id)
    return row


def queue_messages(session: AnySession, rows: list[dict[str, Any]]) -> list[int]:
    """Add many message rows (each a dict of `Notification` columns, the same keys in each) in
    one statement, and deliver them after commit; their ids, in the order of `rows`.

    For a burst written at once (a batch of the SLA sweep, a notice to many): a row at a time
    costs a round trip and the ORM's bookkeeping for each, more than its delivery costs.
    """
    ids = insert_rows(session, Notification, rows)
    for notification_id in ids:
        after_commit_batched(session, QUEUE_NOTIFY, DELIVER_MANY, notification_id)
    return ids


def text_copy(
    session: AnySession, original: Notification, *, dedupe_key: str, now: datetime, **columns: Any
) -> Notification | None:
    """Queue `original` again as an SMS to the same person, once per `dedupe_key`.

    For a call that could not be completed (the fallback chain) or that no one answered on the
    keypad (the summary after the call): None when that copy exists already.
    """
    exists = session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
    if exists is not None:
        return None
    return queue_message(
        session,
        dedupe_key=dedupe_key,
        channel=MessageChannel.SMS,
        resident_id=original.resident_id,
        case_id=original.case_id,
        to_phone=original.to_phone,
        template=original.template,
        params=original.params,
        language=original.language,
        created_at=now,
        **columns,
    )


def quiet_hours_resume(moment: datetime, start: time, end: time, zone: tzinfo) -> datetime | None:
    """When a message held at `moment` may go out, or None when it is not in quiet hours."""
    local = moment.astimezone(zone)
    if not in_quiet_hours(local.time(), start, end):
        return None
    resume = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if resume <= local:
        resume += timedelta(days=1)
    return resume.astimezone(moment.tzinfo)


def in_quiet_hours(local_time: time, start: time, end: time) -> bool:
    """Whether `local_time` falls in quiet hours that may wrap past midnight (21:00–08:00)."""
    if start == end:
        return False
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end
