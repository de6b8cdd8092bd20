"""Areas: the province → village tree with 12-digit statistical codes."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, IdMixin, str_enum


class AreaLevel(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


#: Significant digits of a code at each level: a record is in a scope when its area code
#: starts with the scope's prefix.
PREFIX_LENGTH = {
    AreaLevel.PROVINCE: 2,
    AreaLevel.CITY: 4,
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
}


class Area(IdMixin, Base):
    __tablename__ = "area"
    __table_args__ = (CheckConstraint("length(code) = 12", name="code_length"),)

    # Codes are never reused, even after an area is dissolved, so they stay unique forever.
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    level: Mapped[AreaLevel] = mapped_column(str_enum(AreaLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    valid_from: Mapped[date] = mapped_column(default=date(2000, 1, 1))
    valid_to: Mapped[date | None]
    service_phone: Mapped[str | None] = mapped_column(String(32))
    service_address: Mapped[str | None] = mapped_column(String(200))

    parent: Mapped[Area | None] = relationship(remote_side="Area.id", back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent")

    @property
    def prefix(self) -> str:
        """The significant prefix of this area's code (2/4/6/9/12 digits)."""
        return self.code[: PREFIX_LENGTH[self.level]]

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.level}>"
