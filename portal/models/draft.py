"""What someone was writing when their session ended: kept so signing in again loses nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, CreatedMixin, IdMixin


class FormDraft(IdMixin, CreatedMixin, Base):
    __tablename__ = "form_draft"

    # A random token held in the browser's session cookie: the only key to the draft.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
