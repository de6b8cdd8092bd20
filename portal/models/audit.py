"""Audit events: every staff read of a resident's record, and who acted for whom."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, CreatedMixin, IdMixin


class AuditEvent(IdMixin, CreatedMixin, Base):
    __tablename__ = "audit_event"

    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))  # e.g. resident.view, case.create
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    # Set when a guardian or agent acted for the resident.
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
