"""The channel plan: preference and profile, opt-outs, quiet hours and the audited override."""

from datetime import UTC, datetime, time

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Channel,
    DisabilityCategory,
    MessageChannel,
    Notification,
    NotificationStatus,
    Role,
)
from portal.services.outbound.notifications import channel_plan, notify_resident
from tests.factories import create_resident, create_user

pytestmark = pytest.mark.usefixtures("app")
SMS, VOICE = MessageChannel.SMS, MessageChannel.VOICE
NIGHT = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


@pytest.mark.parametrize(
    ("category", "preference", "plan"),
    [
        (DisabilityCategory.PHYSICAL, Channel.SMS, [SMS]),
        (DisabilityCategory.PHYSICAL, Channel.VOICE, [VOICE]),
        (DisabilityCategory.PHYSICAL, Channel.BOTH, [VOICE, SMS]),
        (DisabilityCategory.PHYSICAL, Channel.NONE, []),
        (DisabilityCategory.VISUAL, Channel.SMS, [VOICE]),  # SMS follows if the call fails
        (DisabilityCategory.VISUAL, Channel.BOTH, [VOICE, SMS]),
        (DisabilityCategory.VISUAL, Channel.NONE, []),
        (DisabilityCategory.HEARING, Channel.VOICE, [SMS]),
        (DisabilityCategory.HEARING, Channel.BOTH, [SMS]),
        (DisabilityCategory.HEARING, Channel.NONE, []),
    ],
)
def test_the_plan_follows_preference_and_profile(category, preference, plan):
    resident = create_resident(disability_category=category, channel=preference)
    assert channel_plan(resident) == plan


def test_an_opt_out_always_wins_and_is_recorded():
    resident = create_resident(channel=Channel.BOTH, opted_out_at=NIGHT)
    assert channel_plan(resident) == []
    [row] = _notify(resident)
    assert (row.status, row.skip_reason) == (NotificationStatus.SKIPPED, "opted_out")


def _notify(resident, **kw):
    rows = notify_resident(
        db.session,
        resident,
        template="case_resumed",
        params={"reference": "261100042", "due": "2026-12-17 17:30"},
        dedupe_key=f"resumed:{resident.id}",
        now=datetime.now(UTC),
        **kw,
    )
    db.session.commit()  # inline job path: delivered (or held) right away
    db.session.expire_all()
    return [db.session.get(Notification, row.id) for row in rows]


@time_machine.travel(NIGHT, tick=False)
def test_quiet_hours_hold_a_message_until_morning():
    resident = create_resident(
        disability_category=DisabilityCategory.PHYSICAL,
        quiet_hours_start=time(21, 0),
        quiet_hours_end=time(8, 0),
    )
    [row] = _notify(resident)
    assert row.status == NotificationStatus.CREATED and row.attempts == 0
    assert row.send_after == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # 08:00 local


@time_machine.travel(NIGHT, tick=False)
def test_an_urgent_override_sends_in_quiet_hours_and_says_who_decided():
    officer = create_user(Role.COUNTY_STAFF)
    resident = create_resident(disability_category=DisabilityCategory.PHYSICAL)
    [row] = _notify(resident, override_quiet_hours_by=officer)
    assert row.override_quiet_hours and row.status == NotificationStatus.DELIVERED
    [audit] = db.session.scalars(select(AuditEvent)).all()
    assert (audit.actor_id, audit.action, audit.resident_id) == (
        officer.id,
        "notification.override_quiet_hours",
        resident.id,
    )
    assert audit.data["notifications"] == [row.id]


def test_an_opt_out_after_the_row_was_written_still_stops_the_send():
    resident = create_resident(disability_category=DisabilityCategory.PHYSICAL)
    rows = notify_resident(
        db.session,
        resident,
        template="case_resumed",
        params={"reference": "261100042", "due": "2026-12-17 17:30"},
        dedupe_key="resumed",
        now=datetime.now(UTC),
    )
    resident.opted_out_at = datetime.now(UTC)  # replied 退订 before the job ran
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Notification, rows[0].id)
    assert (row.status, row.skip_reason, row.provider) == (
        NotificationStatus.SKIPPED,
        "opted_out",
        None,
    )
