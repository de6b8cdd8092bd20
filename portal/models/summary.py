"""Summary tables the reporting pages read (coverage, dashboard, supervision), kept by
`portal.services.reporting.summaries`.

Each row holds counts for one area and one month (or one quarter's end, for coverage), so a
page's figure is a sum over the rows of the areas in its scope instead of a scan of the raw
tables. Rows carry no history: a refresh deletes an area's rows and writes them again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin, str_enum, utcnow
from portal.models.case import CaseType


class CaseSummary(Base):
    """The dashboard's counts for the cases of one area received in one local month, by type:
    the cases filed at the area itself (`subtree` false), and at it or anywhere under it
    (`subtree` true, summed from the rows below), so a page reads one row per group.

    Time-dependent counts (deadline passed, overdue) are as at `SummaryState.refreshed_at`.
    """

    __tablename__ = "case_summary"

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    subtree: Mapped[bool] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # first day of the local month
    type: Mapped[CaseType] = mapped_column(str_enum(CaseType, 16), primary_key=True)
    received: Mapped[int] = mapped_column(default=0)
    answer_due: Mapped[int] = mapped_column(default=0)
    answered_in_time: Mapped[int] = mapped_column(default=0)
    resolve_due: Mapped[int] = mapped_column(default=0)
    resolved_in_time: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    ratings: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)


class ReplyTimeSummary(Base):
    """How many cases had their first reply after `tenths` tenths of an hour (rounded as
    `summary_build.reply_tenths` says), so medians can be taken over any group of rows."""

    __tablename__ = "reply_time_summary"

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    subtree: Mapped[bool] = mapped_column(primary_key=True)  # as in CaseSummary
    month: Mapped[date] = mapped_column(primary_key=True)
    type: Mapped[CaseType] = mapped_column(str_enum(CaseType, 16), primary_key=True)
    tenths: Mapped[int] = mapped_column(primary_key=True)
    cases: Mapped[int] = mapped_column(default=0)


class ReplyTimeTotalSummary(Base):
    """`ReplyTimeSummary` over every type: what "by area", "by month" and the total read when
    no type is chosen (a tenth of the rows)."""

    __tablename__ = "reply_time_total_summary"

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    subtree: Mapped[bool] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    tenths: Mapped[int] = mapped_column(primary_key=True)
    cases: Mapped[int] = mapped_column(default=0)


class CoverageSummary(Base):
    """Year-to-date coverage of one target among one area's residents, as at `period_end`
    (the last day of a quarter): residents eligible then, and how many of them had a delivery."""

    __tablename__ = "coverage_summary"

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    period_end: Mapped[date] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("coverage_target.id"), primary_key=True)
    eligible: Mapped[int] = mapped_column(default=0)
    covered: Mapped[int] = mapped_column(default=0)


class ServiceSummary(Base):
    """Year to date as at `period_end`, for one area's residents: needs stated and answered with
    a delivery, and ratings of plans and deliveries by level."""

    __tablename__ = "service_summary"

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    period_end: Mapped[date] = mapped_column(primary_key=True)
    needs: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    basic: Mapped[int] = mapped_column(default=0)
    dissatisfied: Mapped[int] = mapped_column(default=0)


class SupervisionSummary(Base):
    """One supervision round (a township's month): samples, checks, findings and items."""

    __tablename__ = "supervision_summary"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_round.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    month: Mapped[date]
    samples: Mapped[int] = mapped_column(default=0)
    checked: Mapped[int] = mapped_column(default=0)
    falsified: Mapped[int] = mapped_column(default=0)
    items_checked: Mapped[int] = mapped_column(default=0)
    items_imprecise: Mapped[int] = mapped_column(default=0)


class SupervisionInstitutionSummary(Base):
    """Items checked in one round that one institution delivered, and how many were imprecise."""

    __tablename__ = "supervision_institution_summary"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_round.id", ondelete="CASCADE"), primary_key=True
    )
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), primary_key=True)
    month: Mapped[date] = mapped_column(index=True)
    items_checked: Mapped[int] = mapped_column(default=0)
    items_imprecise: Mapped[int] = mapped_column(default=0)


class SummaryMark(IdMixin, Base):
    """Something changed that summaries count: an area, a resident (their area and their cases'
    areas), a supervision round, or everything (`kind` "all"). Written on flush, in the same
    transaction as the change; the refresh reads and deletes them."""

    __tablename__ = "summary_mark"
    __table_args__ = (Index("ix_summary_mark_kind_ref", "kind", "ref_id"),)

    kind: Mapped[str] = mapped_column(String(16))  # area, resident, round, all
    ref_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SummaryState(Base):
    """A single row: when the summaries were last brought up to date, and rebuilt in full."""

    __tablename__ = "summary_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime]  # the figures' "as of" time
    rebuilt_at: Mapped[datetime]
