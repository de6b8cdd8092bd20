"""Outgoing messages (GOV.UK Notify's shape): a row first, delivery after commit."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, CreatedMixin, IdMixin, str_enum


class MessageChannel(enum.StrEnum):
    SMS = "sms"
    VOICE = "voice"


class NotificationStatus(enum.StrEnum):
    CREATED = "created"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"  # never sent, with the reason recorded (opted out, no phone)


#: Provider callbacks move the status only forward: a late "sent" never overwrites "delivered".
STATUS_RANK = {
    NotificationStatus.CREATED: 0,
    NotificationStatus.SENDING: 1,
    NotificationStatus.SENT: 2,
    NotificationStatus.DELIVERED: 3,
    NotificationStatus.FAILED: 3,
    NotificationStatus.SKIPPED: 3,
}


class Notification(IdMixin, CreatedMixin, Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_status_created", "status", "created_at"),)

    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    channel: Mapped[MessageChannel] = mapped_column(str_enum(MessageChannel, 8))
    to_phone: Mapped[str | None] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    status: Mapped[NotificationStatus] = mapped_column(
        str_enum(NotificationStatus, 16), default=NotificationStatus.CREATED
    )
    provider: Mapped[str | None] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[str | None] = mapped_column(Text)  # the rendered text, as sent
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    send_after: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # The provider's last word: its raw status and error code, and when it said it.
    provider_status: Mapped[str | None] = mapped_column(String(24))
    error_code: Mapped[str | None] = mapped_column(String(16))
    status_at: Mapped[datetime | None]
    # When the current try began (the row was claimed): a `sending` row this old lost its worker.
    claimed_at: Mapped[datetime | None]
    # The next step of the fallback chain points back to the message it stands in for.
    fallback_of_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), index=True)
    # An urgent case may send during quiet hours; who decided it is in the audit log.
    override_quiet_hours: Mapped[bool] = mapped_column(default=False, server_default=false())


class ProviderReceipt(IdMixin, CreatedMixin, Base):
    """A delivery receipt that matched no message when it came, kept until one claims it.

    A receipt names our message in its callback URL; one that does not (a message sent before
    callbacks carried the id) or that names another send of the message (a duplicate at the
    provider) waits here: the receipt sweep applies it once a message has its reference, and
    the staff outbox lists what never matched.
    """

    __tablename__ = "provider_receipt"
    __table_args__ = (UniqueConstraint("provider_ref", "raw_status"),)

    provider_ref: Mapped[str] = mapped_column(String(64))  # indexed by the unique constraint
    kind: Mapped[str] = mapped_column(String(8))  # sms, call
    raw_status: Mapped[str] = mapped_column(String(24))
    error_code: Mapped[str | None] = mapped_column(String(16))
    # The message the callback URL named, if any (not a foreign key: the URL is Twilio's word).
    named_id: Mapped[int | None]
    applied_at: Mapped[datetime | None] = mapped_column(index=True)


class InboundMessage(IdMixin, CreatedMixin, Base):
    """A text or call that reached us, kept once per provider reference (MessageSid, CallSid)."""

    __tablename__ = "inbound_message"

    provider_ref: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # sms, call
    from_phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    # What it did: rated, opted_out, opted_in, case, unknown_number, ignored.
    outcome: Mapped[str] = mapped_column(String(24))


class CallBack(IdMixin, CreatedMixin, Base):
    """A task for staff to phone a resident: no message reached them, or they asked (key 0)."""

    __tablename__ = "call_back"
    __table_args__ = (Index("ix_call_back_open", "area_id", "done_at"),)

    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    reason: Mapped[str] = mapped_column(String(24))  # unreachable, asked
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(Text)
