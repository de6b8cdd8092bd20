"""Cases: one queue for everything a resident raises, with append-only events.

Events are the truth; the denormalised columns on `Case` (status, due dates, the next SLA
check) exist for indexes and are rewritten by the service that appends an event.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import case as case_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.area import Area
from portal.models.base import Base, CreatedMixin, IdMixin, str_enum
from portal.models.catalogue import NeedItem
from portal.models.resident import Resident


class CaseType(enum.StrEnum):
    NEED = "need"  # 需求
    URGENT = "urgent"  # 紧急
    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    SUGGESTION = "suggestion"  # 建议
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    PETITION = "petition"  # 信访
    CORRECTION = "correction"  # 信息更正
    FOLLOW_UP = "follow_up"  # after a "dissatisfied" rating


class CaseStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # paused: waiting for the resident; the clock stops
    RESOLVED = "resolved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING})
#: Open and not paused for the resident: the statuses whose deadlines run (and can pass).
RUNNING_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS)


class CaseChannel(enum.StrEnum):
    WEB = "web"
    SMS = "sms"
    VOICE = "voice"
    HOTLINE = "hotline"
    IN_PERSON = "in_person"


#: Open cases only (85% of cases at a province's size are open, but the indexes below serve
#: the queue, which reads open cases in deadline order, in the whole scope or by area).
OPEN_CASE = text("status IN ('new', 'in_progress', 'waiting')")


class Case(IdMixin, CreatedMixin, Base):
    __tablename__ = "case_file"
    __table_args__ = (
        Index("ix_case_file_open_due", "status", "first_response_due_at"),
        # The SLA sweep's batches, in its order: a batch stops after its LIMIT instead of
        # reading and sorting every due case again (a 17:30 burst shares one check moment).
        Index("ix_case_file_sweep_order", "next_sla_check_at", "id"),
        # The administrator's counts by deadline state, from the index alone.
        Index("ix_case_file_queue", "status", "current_due_at", "current_warn_at", "id"),
        # The queue: the first page of open cases by deadline, read in order. With each case's
        # area and warning time in the entries, a scoped page and its deadline filters are
        # found from the index alone (PostgreSQL).
        Index(
            "ix_case_file_open_by_due",
            "current_due_at",
            "id",
            postgresql_where=OPEN_CASE,
            postgresql_include=["area_id", "current_warn_at"],
            sqlite_where=OPEN_CASE,
        ),
        # A scoped queue and its counts by deadline state (from the index alone): the open
        # cases of a set of areas.
        Index(
            "ix_case_file_open_by_area",
            "area_id",
            "status",
            "current_due_at",
            "current_warn_at",
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        ),
    )

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[CaseType] = mapped_column(str_enum(CaseType, 16))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, 16), default=CaseStatus.NEW)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    # The resident's area when the case was filed: scopes the case for staff.
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    channel: Mapped[CaseChannel] = mapped_column(str_enum(CaseChannel, 16))
    need_item_id: Mapped[int | None] = mapped_column(ForeignKey("need_item.id"))
    description: Mapped[str] = mapped_column(Text)
    contact_time: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    escalation_level: Mapped[int] = mapped_column(default=0)
    # The area whose staff the case was last escalated to (one level up each time).
    escalated_to_area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    reopen_count: Mapped[int] = mapped_column(default=0)
    extensions_used: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    # Where a hotline (Open311) case is about, and the token its POST was answered with.
    location: Mapped[str | None] = mapped_column(String(200))
    open311_token: Mapped[str | None] = mapped_column(String(36), unique=True)
    # A voice message left on the status line: the provider's address of the recording.
    recording_url: Mapped[str | None] = mapped_column(String(500))
    # The resolution clock starts at filing and again at each reopening.
    clock_started_at: Mapped[datetime | None]
    first_response_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    # The second clock: an answer is owed after each message from the resident.
    reply_requested_at: Mapped[datetime | None]
    reply_due_at: Mapped[datetime | None]
    # For the staff queue: the earliest deadline of the clocks running now, and its warning
    # moment (two thirds of its time); kept by services.sla_clocks.reschedule.
    current_due_at: Mapped[datetime | None]
    current_warn_at: Mapped[datetime | None]
    next_sla_check_at: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The deadline falls in a year with no published working-day calendar yet.
    calendar_unknown: Mapped[bool] = mapped_column(default=False)

    resident: Mapped[Resident] = relationship()
    area: Mapped[Area] = relationship(foreign_keys=[area_id])
    escalated_to_area: Mapped[Area | None] = relationship(foreign_keys=[escalated_to_area_id])
    need_item: Mapped[NeedItem | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @hybrid_property
    def next_due_at(self) -> datetime | None:
        """The deadline that matters now: the first reply until there is one, then resolution."""
        if self.first_responded_at is None:
            return self.first_response_due_at
        return self.resolve_due_at

    @next_due_at.inplace.expression
    @classmethod
    def _next_due_at_expression(cls) -> ColumnElement[datetime | None]:
        return case_(
            (cls.first_responded_at.is_(None), cls.first_response_due_at),
            else_=cls.resolve_due_at,
        )


class EventKind(enum.StrEnum):
    CREATED = "created"
    PUBLIC_REPLY = "public_reply"
    RESIDENT_REPLY = "resident_reply"
    INTERNAL_NOTE = "internal_note"
    ASSIGNED = "assigned"
    STATUS_CHANGED = "status_changed"
    PAUSED = "paused"
    RESUMED = "resumed"
    ESCALATED = "escalated"
    SLA_WARNING = "sla_warning"
    RATED = "rated"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"
    EXTENDED = "extended"
    MARKED_URGENT = "marked_urgent"
    MERGED = "merged"


class CaseEvent(IdMixin, CreatedMixin, Base):
    """One append-only fact about a case; never updated or deleted (see services.cases)."""

    __tablename__ = "case_event"

    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 24))
    # None when the system acted (a sweep's escalation).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Set when a guardian or agent acted for the resident.
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    public: Mapped[bool] = mapped_column(default=True)
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class SlaMark(IdMixin, CreatedMixin, Base):
    """Guards warnings and escalations: a sweep run twice or late never repeats one."""

    __tablename__ = "sla_mark"
    __table_args__ = (UniqueConstraint("case_id", "clock", "level"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    # first_response, resolution, or reply:<event id> (one reply clock per resident message);
    # a reopened case counts its resolution clock again as resolution:<reopen count>.
    clock: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))  # warning, escalated_1, escalated_2
    # True when the mark was written without acting, because a later level was already due.
    superseded: Mapped[bool] = mapped_column(default=False)
