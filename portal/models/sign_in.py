"""One-time sign-in codes: stored as keyed hashes, never in plain text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, CreatedMixin, IdMixin, str_enum
from portal.models.notification import MessageChannel


class SignInCode(IdMixin, CreatedMixin, Base):
    __tablename__ = "sign_in_code"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[MessageChannel] = mapped_column(str_enum(MessageChannel, 8))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    # Set when the code signed someone in, or when a newer code replaced it.
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
