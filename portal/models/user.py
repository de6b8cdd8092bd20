"""Accounts: residents, guardians and agents, staff, institutions and administrators."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.area import Area
from portal.models.base import Base, CreatedMixin, IdMixin, str_enum

if TYPE_CHECKING:
    from portal.models.institution import Institution
    from portal.models.resident import Resident


class Role(enum.StrEnum):
    RESIDENT = "resident"
    GUARDIAN = "guardian"  # also agents (代理人): the guardianship row says which
    VILLAGE_WORKER = "village_worker"
    TOWNSHIP_OFFICER = "township_officer"
    COUNTY_STAFF = "county_staff"
    SUPERVISOR = "supervisor"
    INSTITUTION = "institution"
    ADMIN = "admin"


STAFF_ROLES = frozenset(
    {
        Role.VILLAGE_WORKER,
        Role.TOWNSHIP_OFFICER,
        Role.COUNTY_STAFF,
        Role.SUPERVISOR,
        Role.INSTITUTION,
        Role.ADMIN,
    }
)


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "user_account"

    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role, 24))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Staff scope: a record is visible when its area code starts with this area's prefix.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by "sign out of every device": sessions carrying an older value are refused.
    session_version: Mapped[int] = mapped_column(default=1)
    last_sign_in_at: Mapped[datetime | None]
    # Second factor (RFC 6238), encrypted with FieldCipher; confirmed once a code was entered.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[datetime | None]
    # The last time step a code was accepted for, so one code cannot be used twice.
    totp_last_step: Mapped[int | None]
    deactivated_at: Mapped[datetime | None]

    area: Mapped[Area | None] = relationship()
    institution: Mapped[Institution | None] = relationship()
    resident: Mapped[Resident | None] = relationship(foreign_keys=[resident_id])

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
