"""Yearly records from the home visit (入户调研): basic status and needs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, CreatedMixin, IdMixin
from portal.models.catalogue import NeedItem


class BasicStatusRecord(IdMixin, CreatedMixin, Base):
    """The yearly basic-status form; the typed columns are the ones staff filter on."""

    __tablename__ = "basic_status_record"
    __table_args__ = (UniqueConstraint("resident_id", "year"),)

    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    year: Mapped[int]
    surveyed_on: Mapped[date]
    surveyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    living_arrangement: Mapped[str | None] = mapped_column(String(32))
    income_support: Mapped[bool] = mapped_column(default=False)  # 低保
    employed: Mapped[bool] = mapped_column(default=False)
    medical_insurance: Mapped[bool] = mapped_column(default=False)
    pension_insurance: Mapped[bool] = mapped_column(default=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class NeedsRecord(IdMixin, CreatedMixin, Base):
    """The yearly needs form: one row per resident per year, with its answers."""

    __tablename__ = "needs_record"
    __table_args__ = (UniqueConstraint("resident_id", "year"),)

    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    year: Mapped[int]
    surveyed_on: Mapped[date]
    surveyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The resident (or guardian) confirms the year's record (both forms): in the portal, or in
    # person, recorded by staff with the name of who witnessed it.
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmation_method: Mapped[str | None] = mapped_column(String(16))  # portal, in_person
    confirmation_witness: Mapped[str | None] = mapped_column(String(100))
    # Set by a bulk import: which run wrote this record (re-importing the same rows is a no-op).
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
    answers: Mapped[list[NeedsAnswer]] = relationship(
        back_populates="record", cascade="all, delete-orphan"
    )


class NeedsAnswer(IdMixin, Base):
    __tablename__ = "needs_answer"
    __table_args__ = (UniqueConstraint("record_id", "need_item_id"),)

    record_id: Mapped[int] = mapped_column(ForeignKey("needs_record.id"), index=True)
    need_item_id: Mapped[int] = mapped_column(ForeignKey("need_item.id"))
    needed: Mapped[bool]
    note: Mapped[str | None] = mapped_column(Text)

    record: Mapped[NeedsRecord] = relationship(back_populates="answers")
    need_item: Mapped[NeedItem] = relationship()
