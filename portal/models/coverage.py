"""Coverage targets (覆盖率): which residents a service is for, and the share it should reach."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, CreatedMixin, IdMixin
from portal.models.catalogue import NeedItem


class CoverageTarget(IdMixin, CreatedMixin, Base):
    """E.g. orientation-and-mobility training for 80% of blind residents.

    Eligibility: disability categories and levels (empty list: any) and an age range (None: no
    bound); a resident is covered when a delivery of `need_item` is recorded for them in the year.
    """

    __tablename__ = "coverage_target"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    need_item_id: Mapped[int] = mapped_column(ForeignKey("need_item.id"))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    levels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    target_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    active: Mapped[bool] = mapped_column(default=True)

    need_item: Mapped[NeedItem] = relationship()
