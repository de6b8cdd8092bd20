"""Supervision (督查): monthly random samples per township and the checks of each household."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, CreatedMixin, IdMixin


class SupervisionRound(IdMixin, CreatedMixin, Base):
    """One month's sample in one township, drawn reproducibly from `seed`."""

    __tablename__ = "supervision_round"
    __table_args__ = (UniqueConstraint("area_id", "month"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)  # the township
    month: Mapped[date]  # the first day of the month sampled
    seed: Mapped[str] = mapped_column(String(64))
    sample_size: Mapped[int]
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    samples: Mapped[list[SupervisionSample]] = relationship(
        back_populates="round", order_by="SupervisionSample.id"
    )


class SupervisionSample(IdMixin, CreatedMixin, Base):
    """A sampled household and the check of the three consistencies (三个一致)."""

    __tablename__ = "supervision_sample"
    __table_args__ = (
        UniqueConstraint("round_id", "resident_id"),
        Index("ix_supervision_sample_resident_created", "resident_id", "created_at"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("supervision_round.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    checked_at: Mapped[datetime | None]
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    record_consistent: Mapped[bool | None]  # the record matches the person's real situation
    plan_consistent: Mapped[bool | None]  # plan entries match services actually delivered
    archive_consistent: Mapped[bool | None]  # the platform matches the paper archive
    falsification_found: Mapped[bool] = mapped_column(default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(Text)

    round: Mapped[SupervisionRound] = relationship(back_populates="samples")
    items: Mapped[list[SupervisionItem]] = relationship(
        back_populates="sample", order_by="SupervisionItem.id"
    )


class SupervisionItem(IdMixin, Base):
    """One plan item checked in a sample: precise, or imprecise (over-ticked, missed, wrong)."""

    __tablename__ = "supervision_item"
    __table_args__ = (UniqueConstraint("sample_id", "plan_item_id"),)

    sample_id: Mapped[int] = mapped_column(ForeignKey("supervision_sample.id"), index=True)
    plan_item_id: Mapped[int] = mapped_column(ForeignKey("plan_item.id"), index=True)
    # The institution that delivered the item when it was checked (for its precision score).
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)
    imprecise: Mapped[bool] = mapped_column(default=False, server_default=false())
    problem: Mapped[str | None] = mapped_column(String(16))  # over_ticked, missed, wrong
    note: Mapped[str | None] = mapped_column(Text)

    sample: Mapped[SupervisionSample] = relationship(back_populates="items")
