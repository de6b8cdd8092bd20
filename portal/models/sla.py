"""SLA policies per case type and the working-day calendar they count on."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class SlaPolicy(IdMixin, Base):
    """Deadlines for one case type; every value is editable by an administrator."""

    __tablename__ = "sla_policy"

    case_type: Mapped[str] = mapped_column(String(16), unique=True)
    ack_amount: Mapped[int]
    ack_unit: Mapped[str] = mapped_column(String(16))  # hours, working_days, days
    resolve_amount: Mapped[int]
    resolve_unit: Mapped[str] = mapped_column(String(16))
    max_extensions: Mapped[int] = mapped_column(default=0)
    extension_amount: Mapped[int] = mapped_column(default=0)


class CalendarDay(Base):
    """A day that breaks the Monday–Friday rule: a public holiday or a make-up working day."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working_day: Mapped[bool]
    name: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(16), default="package")  # package or admin


class CalendarYear(Base):
    """A year whose official calendar is loaded; deadlines in other years carry a warning."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(16), default="package")
