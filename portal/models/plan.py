"""Personal plans (一人一策): versions, promised items, and deliveries with six elements."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, CreatedMixin, IdMixin, str_enum
from portal.models.catalogue import NeedItem


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_AGREEMENT = "awaiting_agreement"
    AWAITING_APPROVAL = "awaiting_approval"
    ACTIVE = "active"
    CLOSED = "closed"


class PlanPart(enum.StrEnum):
    ASSISTANCE = "assistance"  # 帮扶方案
    DEVELOPMENT = "development"  # 发展方案


class ItemStatus(enum.StrEnum):
    PLANNED = "planned"
    DELIVERED = "delivered"
    NOT_DELIVERED = "not_delivered"
    REFERRED = "referred"  # passed on to another department (who, in `responsible`)
    DECLINED = "declined"  # the need will not be met this year: `decision_reason` says why


class Plan(IdMixin, CreatedMixin, Base):
    __tablename__ = "plan"
    __table_args__ = (
        UniqueConstraint("resident_id", "year", "version"),
        # One current plan per resident, enforced by the database.
        Index(
            "uq_plan_current_resident",
            "resident_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    year: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    is_current: Mapped[bool] = mapped_column(default=True)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, 24))
    # Where no development plan is possible, the reason must be written down.
    no_development_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agreed_at: Mapped[datetime | None]
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agreement_method: Mapped[str | None] = mapped_column(String(16))  # web, sms, voice, paper
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Who witnessed an in-person agreement (agreement_method "paper").
    agreement_witness: Mapped[str | None] = mapped_column(String(100))
    # Sent back by the township with a reason instead of approved.
    returned_reason: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.id"
    )
    previous_version: Mapped[Plan | None] = relationship(remote_side="Plan.id")


class PlanItem(IdMixin, Base):
    __tablename__ = "plan_item"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    part: Mapped[PlanPart] = mapped_column(str_enum(PlanPart, 16))
    need_item_id: Mapped[int] = mapped_column(ForeignKey("need_item.id"))
    description: Mapped[str | None] = mapped_column(Text)
    responsible: Mapped[str | None] = mapped_column(String(200))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)
    planned_by: Mapped[date | None]
    status: Mapped[ItemStatus] = mapped_column(str_enum(ItemStatus, 16), default=ItemStatus.PLANNED)
    # An item that cannot be delivered needs a reason, explained to the resident.
    not_delivered_reason: Mapped[str | None] = mapped_column(Text)
    # Why a need was declined (or to whom it was referred): the resident sees it.
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The yearly needs-form answer this item answers (None: added by staff without one).
    needs_answer_id: Mapped[int | None] = mapped_column(ForeignKey("needs_answer.id"), index=True)

    plan: Mapped[Plan] = relationship(back_populates="items")
    need_item: Mapped[NeedItem] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="plan_item", order_by="Delivery.delivered_on"
    )


class Delivery(IdMixin, CreatedMixin, Base):
    """A delivered service with the six elements (六要素)."""

    __tablename__ = "delivery"

    plan_item_id: Mapped[int] = mapped_column(ForeignKey("plan_item.id"), index=True)
    delivered_on: Mapped[date]  # 落实时间
    responsible: Mapped[str] = mapped_column(String(200))  # 责任主体/部门
    project_name: Mapped[str] = mapped_column(String(200))  # 项目名称
    funds_yuan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # 投入资金
    equipment: Mapped[str | None] = mapped_column(String(200))  # 器材
    equipment_quantity: Mapped[int | None]  # 器材数量
    equipment_unit: Mapped[str | None] = mapped_column(String(16))  # 台, 副, 次, 小时 ...
    measures: Mapped[str] = mapped_column(Text)  # 具体措施
    effect: Mapped[str] = mapped_column(Text)  # 服务效果
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    plan_item: Mapped[PlanItem] = relationship(back_populates="deliveries")
