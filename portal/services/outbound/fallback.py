"""The fallback chain: a message that cannot reach a resident is never just dropped.

voice → an SMS to the same resident → an SMS to each guardian or agent (in their language) →
a call-back task for staff. Each step exists once per event however often `fall_back` runs
(the deliver job gives up, a status callback says failed, a receipt times out), because every
step's dedupe key is derived from the event's key: "<event>:fb:sms", "<event>:fb:guardian:<user
id>", "<event>:fb:call_back".
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from portal.models import MessageChannel, Notification, NotificationStatus, Resident
from portal.models.base import AnySession
from portal.services.outbound import call_backs
from portal.services.outbound.messages import SECRET_PARAMS, render
from portal.services.outbound.notifications import queue_message, text_copy
from portal.services.people.guardians import guardians_of
from portal.services.sla.sla import local_zone

log = logging.getLogger(__name__)

#: The template that carries a resident's message to a guardian.
GUARDIAN_COPY = "guardian_copy"


def fall_back(
    session: AnySession, notification: Notification, *, reason: str, now: datetime
) -> None:
    """Create the next step of the chain for `notification`, which could not reach its person.

    Messages to staff (no resident) and secrets (a sign-in code nobody else may read) have no
    chain: a staff member has other ways to see work, and a code is useless to anyone else.
    """
    if notification.resident_id is None or notification.template in SECRET_PARAMS:
        return
    resident = session.get(Resident, notification.resident_id)
    if resident is None:
        return
    event = event_key(_root(session, notification))
    log.info(
        "fallback",
        extra={
            "notification_id": notification.id,
            "reason": reason,
            "channel": notification.channel,
        },
    )
    if notification.user_id is not None:  # a guardian's copy: a person must phone now
        _call_back(session, resident, notification, event, now)
    elif notification.channel == MessageChannel.VOICE:
        _sms_to_resident(session, resident, notification, event, now)
    else:
        _to_guardians(session, resident, notification, event, now)


def event_key(root: Notification) -> str:
    """The key of the event behind a message: its dedupe key without the channel suffix.

    `notify_resident` keys each planned message "<event>:<channel>", so a BOTH plan's voice and
    SMS share one event and one chain.
    """
    head, _, tail = root.dedupe_key.rpartition(":")
    return head if head and tail in set(MessageChannel) else root.dedupe_key


def _root(session: AnySession, notification: Notification) -> Notification:
    row = notification
    while row.fallback_of_id is not None:
        parent = session.get(Notification, row.fallback_of_id)
        if parent is None:
            break
        row = parent
    return row


def _existing(session: AnySession, dedupe_key: str) -> Notification | None:
    return session.scalars(
        select(Notification).where(Notification.dedupe_key == dedupe_key)
    ).first()


def _sms_to_resident(
    session: AnySession, resident: Resident, failed: Notification, event: str, now: datetime
) -> None:
    """Voice failed: text the resident, unless an SMS for this event is already theirs."""
    planned = _existing(session, f"{event}:{MessageChannel.SMS}")
    if planned is not None:
        # A BOTH plan already texted them; if that text failed too, its own chain moved on.
        if planned.status == NotificationStatus.FAILED:
            _to_guardians(session, resident, failed, event, now)
        return
    text_copy(
        session,
        failed,
        dedupe_key=f"{event}:fb:sms",
        now=now,
        override_quiet_hours=failed.override_quiet_hours,
        fallback_of_id=failed.id,
    )


def _to_guardians(
    session: AnySession, resident: Resident, failed: Notification, event: str, now: datetime
) -> None:
    """The resident's SMS failed: text each valid guardian or agent, or ask staff to phone."""
    today = now.astimezone(local_zone()).date()
    guardians = [
        user
        for grant, user in guardians_of(session, resident, today)
        if grant.is_valid_on(today) and user.active and user.phone
    ]
    if not guardians:
        _call_back(session, resident, failed, event, now)
        return
    for user in guardians:
        key = f"{event}:fb:guardian:{user.id}"
        if _existing(session, key) is not None:
            continue
        text = render(failed.template, failed.params, user.language)
        queue_message(
            session,
            dedupe_key=key,
            resident_id=resident.id,
            user_id=user.id,
            case_id=failed.case_id,
            channel=MessageChannel.SMS,
            to_phone=user.phone,
            template=GUARDIAN_COPY,
            params={"name": resident.name, "text": text},
            language=user.language,
            override_quiet_hours=failed.override_quiet_hours,
            fallback_of_id=failed.id,
            created_at=now,
        )


def _call_back(
    session: AnySession, resident: Resident, failed: Notification, event: str, now: datetime
) -> None:
    call_backs.request_call_back(
        session,
        resident,
        reason=call_backs.UNREACHABLE,
        dedupe_key=f"{event}:fb:call_back",
        now=now,
        notification=failed,
    )
