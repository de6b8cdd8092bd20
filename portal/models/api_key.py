"""Keys for systems that hand cases over through Open311 (a 12345/12385 hotline)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.area import Area
from portal.models.base import Base, CreatedMixin, IdMixin


class ApiKey(IdMixin, CreatedMixin, Base):
    """One hotline system's key: only its keyed hash is stored; it files cases in its area."""

    __tablename__ = "api_key"

    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in /admin so a key can be told apart without revealing it.
    key_prefix: Mapped[str] = mapped_column(String(12))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    area: Mapped[Area] = relationship()
