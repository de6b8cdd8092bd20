"""The need/service catalogue, seeded from data/need_items.csv (both languages)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class NeedItem(IdMixin, Base):
    __tablename__ = "need_item"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    domain: Mapped[str] = mapped_column(String(32), index=True)
    domain_zh: Mapped[str] = mapped_column(String(100))
    domain_en: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # need, service or both
    source: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[str] = mapped_column(String(1))  # V verified, P partial, U proposed
    active: Mapped[bool] = mapped_column(default=True)

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh

    def domain_name(self, locale: str) -> str:
        return self.domain_en if locale.startswith("en") else self.domain_zh
