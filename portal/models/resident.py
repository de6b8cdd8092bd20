"""Residents (持证残疾人) and who may act for them (guardians and agents)."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.area import Area
from portal.models.base import Base, CreatedMixin, IdMixin, str_enum


class DisabilityCategory(enum.IntEnum):
    VISUAL = 1
    HEARING = 2
    SPEECH = 3
    PHYSICAL = 4
    INTELLECTUAL = 5
    PSYCHOSOCIAL = 6
    MULTIPLE = 7


class Channel(enum.StrEnum):
    """How a resident wants to be told things."""

    SMS = "sms"
    VOICE = "voice"
    BOTH = "both"
    NONE = "none"


class Resident(IdMixin, CreatedMixin, Base):
    __tablename__ = "resident"
    __table_args__ = (
        CheckConstraint("disability_category BETWEEN 1 AND 7", name="category_range"),
        CheckConstraint(
            "disability_level IS NULL OR disability_level BETWEEN 1 AND 4", name="level_range"
        ),
        # The staff list: residents by name, paged by keyset on (name, id).
        Index("ix_resident_name_id", "name", "id"),
        # A scope's residents (and their count) from the index alone.
        Index("ix_resident_area_id_id", "area_id", "id"),
    )

    name: Mapped[str] = mapped_column(String(100))
    # Identifiers are sensitive personal information: stored encrypted, found through a
    # keyed hash, shown masked (the masked form holds no more than the page shows).
    id_number_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_lookup: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    certificate_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_lookup: Mapped[str | None] = mapped_column(String(64), unique=True)
    certificate_masked: Mapped[str | None] = mapped_column(String(40))
    birth_date: Mapped[date | None]
    sex: Mapped[str | None] = mapped_column(String(1))
    disability_category: Mapped[int]
    # Absent for ungraded or uncertified records (suspected cases, young children).
    disability_level: Mapped[int | None]
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 8), default=Channel.SMS)
    quiet_hours_start: Mapped[time] = mapped_column(default=time(21, 0))
    quiet_hours_end: Mapped[time] = mapped_column(default=time(8, 0))
    large_text: Mapped[bool] = mapped_column(default=False)
    high_contrast: Mapped[bool] = mapped_column(default=False)
    read_aloud: Mapped[bool] = mapped_column(default=False)
    deceased_on: Mapped[date | None]
    # Replied 退订/STOP: no message goes out until 订阅/START, whatever `channel` says.
    opted_out_at: Mapped[datetime | None]
    # The 4-digit PIN of the phone status line (argon2), with a lock after repeated misses.
    phone_pin_hash: Mapped[str | None] = mapped_column(String(255))
    pin_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    pin_locked_until: Mapped[datetime | None]

    area: Mapped[Area] = relationship()
    guardianships: Mapped[list[Guardianship]] = relationship(back_populates="resident")

    def __repr__(self) -> str:
        return f"<Resident {self.id}>"


class GuardianKind(enum.StrEnum):
    GUARDIAN = "guardian"  # 监护人 / family member
    AGENT = "agent"  # 代理人 for steward service (管家式服务)


class Relationship(enum.StrEnum):
    PARENT = "parent"
    SPOUSE = "spouse"
    CHILD = "child"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    APPOINTED = "appointed"


class GuardianScope(enum.StrEnum):
    """What the guardian or agent may do for the resident."""

    FULL = "full"  # everything the resident can do
    VIEW = "view"  # read only
    CASES = "cases"  # view, file and follow cases


class Guardianship(IdMixin, CreatedMixin, Base):
    __tablename__ = "guardianship"
    __table_args__ = (UniqueConstraint("guardian_user_id", "resident_id"),)

    guardian_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    kind: Mapped[GuardianKind] = mapped_column(str_enum(GuardianKind, 16))
    relationship_: Mapped[Relationship] = mapped_column("relationship", str_enum(Relationship, 16))
    scope: Mapped[GuardianScope] = mapped_column(str_enum(GuardianScope, 16))
    valid_from: Mapped[date]
    expires_on: Mapped[date | None]
    revoked_at: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship(back_populates="guardianships")

    def is_valid_on(self, day: date) -> bool:
        if self.revoked_at is not None or day < self.valid_from:
            return False
        return self.expires_on is None or day <= self.expires_on
