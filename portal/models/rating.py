"""Satisfaction ratings: the resident's own words, on three levels."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, CreatedMixin, IdMixin, str_enum


class Satisfaction(enum.StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


#: The levels that count as satisfied in every satisfaction rate (满意 and 基本满意).
SATISFIED_LEVELS = (Satisfaction.SATISFIED, Satisfaction.BASIC)


class GivenAs(enum.StrEnum):
    """Who gave the rating: never entered by a worker without saying so."""

    RESIDENT = "resident"
    GUARDIAN = "guardian"
    STAFF_RECORDED = "staff_recorded"


class Rating(IdMixin, CreatedMixin, Base):
    __tablename__ = "rating"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN delivery_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN plan_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN case_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
    )

    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    level: Mapped[Satisfaction] = mapped_column(str_enum(Satisfaction, 16))
    comment: Mapped[str | None] = mapped_column(Text)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    given_as: Mapped[GivenAs] = mapped_column(str_enum(GivenAs, 16))
    channel: Mapped[str] = mapped_column(String(16), default="web")
    updated_at: Mapped[datetime | None]
