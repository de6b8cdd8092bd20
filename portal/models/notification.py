"""Outgoing messages (GOV.UK Notify's shape): a row first, delivery after commit."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
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
