"""Small `create_*` factories with keyword defaults; each flushes, the test commits if needed."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from typing import Any

from portal.auth import hash_password
from portal.extensions import db
from portal.models import (
    Area,
    AreaLevel,
    Case,
    CaseType,
    Channel,
    GuardianKind,
    GuardianScope,
    Guardianship,
    Relationship,
    Resident,
    Role,
    User,
)
from portal.services.cases.cases import file_case

_seq = itertools.count(1)
PASSWORD = "correct horse battery"  # noqa: S105 - test data
_HASH: str | None = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def create_area(code: str | None = None, level: AreaLevel = AreaLevel.VILLAGE, **kw: Any) -> Area:
    n = next(_seq)
    area = Area(
        code=code or f"5101{n:02d}{n:03d}{200 + n % 100:03d}"[:12].ljust(12, "0"),
        name_zh=kw.pop("name_zh", f"测试村{n}"),
        name_en=kw.pop("name_en", f"Test village {n}"),
        level=level,
        **kw,
    )
    db.session.add(area)
    db.session.flush()
    return area


def create_resident(area: Area | None = None, **kw: Any) -> Resident:
    n = next(_seq)
    resident = Resident(
        name=kw.pop("name", f"居民{n}"),
        disability_category=kw.pop("disability_category", 1),
        disability_level=kw.pop("disability_level", 2),
        area_id=(area or create_area()).id,
        phone=kw.pop("phone", f"+86139{n:08d}"),
        # No quiet hours unless a test asks for them: a message must not wait for the morning
        # because the suite happens to run in the evening (quiet-hours tests set them).
        quiet_hours_start=kw.pop("quiet_hours_start", time(0, 0)),
        quiet_hours_end=kw.pop("quiet_hours_end", time(0, 0)),
        **kw,
    )
    db.session.add(resident)
    db.session.flush()
    return resident


def create_user(role: Role = Role.RESIDENT, **kw: Any) -> User:
    n = next(_seq)
    user = User(
        phone=kw.pop("phone", f"+86137{n:08d}"),
        name=kw.pop("name", f"用户{n}"),
        role=role,
        password_hash=kw.pop("password_hash", _password_hash()),
        **kw,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_resident_user(area: Area | None = None, **kw: Any) -> tuple[User, Resident]:
    resident = create_resident(area, **kw)
    user = create_user(Role.RESIDENT, resident_id=resident.id, phone=resident.phone)
    return user, resident


def create_guardianship(guardian: User, resident: Resident, **kw: Any) -> Guardianship:
    row = Guardianship(
        guardian_user_id=guardian.id,
        resident_id=resident.id,
        kind=kw.pop("kind", GuardianKind.GUARDIAN),
        relationship_=kw.pop("relationship_", Relationship.PARENT),
        scope=kw.pop("scope", GuardianScope.FULL),
        valid_from=kw.pop("valid_from", date(2020, 1, 1)),
        **kw,
    )
    db.session.add(row)
    db.session.flush()
    return row


def create_case(resident: Resident, **kw: Any) -> Case:
    return file_case(
        db.session,
        resident=resident,
        filed_by=kw.pop("filed_by", None),
        case_type=kw.pop("case_type", CaseType.COMPLAINT),
        description=kw.pop("description", "路口的盲道被占用了"),
        now=kw.pop("now", datetime.now(UTC)),
        **kw,
    )


__all__ = [
    "PASSWORD",
    "Channel",
    "create_area",
    "create_case",
    "create_guardianship",
    "create_resident",
    "create_resident_user",
    "create_user",
]
