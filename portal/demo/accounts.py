"""The fixed demo accounts, the residents they act as or for, and a worker for every area."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from portal.demo.context import DemoContext
from portal.demo.people import address_in, new_id_number, new_phone
from portal.demo.places import DEMO_VILLAGE_CODE, demo_village
from portal.models import (
    Channel,
    GuardianKind,
    GuardianScope,
    Guardianship,
    Relationship,
    Role,
    User,
)
from portal.services.accounts.two_factor import needs_second_factor
from portal.services.people.crypto import cipher
from portal.services.people.residents import register_resident

DEMO_PASSWORD = "wenxu-demo"  # noqa: S105 - published demo password, refused in production
#: The published authenticator key of the demo accounts that need a second factor (county
#: staff, supervisor, administrator); `flask demo code` prints the current code.
DEMO_TOTP_SECRET = "WENXUDEMOWENXUDEMOWENXUDEMOWENXU"  # noqa: S105 - published, refused in production

#: (phone in E.164, role, what the account shows) for docs/development.md, sign-in, tests.
DEMO_ACCOUNTS: list[tuple[str, Role, str]] = [
    (
        "+8613800000001",
        Role.RESIDENT,
        "Resident: blind (visual, level 1), prefers voice calls; a revised plan awaiting "
        "agreement, open cases and a delivered service to rate",
    ),
    (
        "+8613800000002",
        Role.GUARDIAN,
        "Guardian: parent of a young man with an intellectual disability, and appointed "
        "agent for an elderly neighbour",
    ),
    ("+8613800000010", Role.VILLAGE_WORKER, "Village worker, Liushu Village (the demo resident's)"),
    ("+8613800000011", Role.TOWNSHIP_OFFICER, "Township officer, Jianxing Town"),
    ("+8613800000012", Role.COUNTY_STAFF, "County federation staff, Nanbu County"),
    ("+8613800000013", Role.SUPERVISOR, "Supervisor, Nanbu County"),
    ("+8613800000014", Role.INSTITUTION, "Institution: Nanbu County Rehabilitation Centre"),
    ("+8613800000099", Role.ADMIN, "Administrator, Nanbu County"),
]

_FIXED_STAFF = {
    # staff key: (phone, role, name)
    "demo_village": ("+8613800000010", Role.VILLAGE_WORKER, "蒲春燕"),
    "demo_township": ("+8613800000011", Role.TOWNSHIP_OFFICER, "何志军"),
    "county": ("+8613800000012", Role.COUNTY_STAFF, "赵丽华"),
    "supervisor": ("+8613800000013", Role.SUPERVISOR, "敬国强"),
    "institution": ("+8613800000014", Role.INSTITUTION, "罗晓梅"),
    "admin": ("+8613800000099", Role.ADMIN, "杨帆"),
}
_OTHER_WORKERS = ("敬秀华", "母丽君", "谢晓红", "岳明辉", "伏建平", "侯玉梅", "向德林")
_OTHER_OFFICERS = ("杜文斌", "谭小燕")


def _user(ctx: DemoContext, phone: str, role: Role, name: str, **kw: object) -> User:
    user = User(phone=phone, role=role, name=name, password_hash=ctx.password_hash, **kw)
    ctx.session.add(user)
    return user


def create_staff(ctx: DemoContext) -> None:
    """The fixed staff accounts, plus a worker for every other village and township."""
    assert ctx.county is not None
    village = demo_village(ctx)
    township = ctx.township_of(village)
    scopes = {
        "demo_village": village.id,
        "demo_township": township.id,
        "institution": ctx.county.id,
    }
    for key, (phone, role, name) in _FIXED_STAFF.items():
        ctx.staff[key] = _user(
            ctx,
            phone,
            role,
            name,
            area_id=scopes.get(key, ctx.county.id),
            institution_id=ctx.institutions["rehab"].id if role is Role.INSTITUTION else None,
        )
    for user in ctx.staff.values():
        if needs_second_factor(user):
            user.totp_secret = cipher().encrypt(DEMO_TOTP_SECRET).decode("ascii")
            user.totp_confirmed_at = ctx.now
    ctx.staff["village:" + village.code] = ctx.staff.pop("demo_village")
    ctx.staff["township:" + township.code] = ctx.staff.pop("demo_township")
    others = [v for v in ctx.villages if v.code != DEMO_VILLAGE_CODE]
    for index, (other, name) in enumerate(zip(others, _OTHER_WORKERS, strict=True), start=1):
        ctx.staff["village:" + other.code] = _user(
            ctx, f"+86138000001{index:02d}", Role.VILLAGE_WORKER, name, area_id=other.id
        )
    officers = [t for t in ctx.townships if t.id != township.id]
    for index, (other, name) in enumerate(zip(officers, _OTHER_OFFICERS, strict=True), start=1):
        ctx.staff["township:" + other.code] = _user(
            ctx, f"+86138000002{index:02d}", Role.TOWNSHIP_OFFICER, name, area_id=other.id
        )
    ctx.session.flush()


class _Named(NamedTuple):
    key: str
    name: str
    born: date
    category: int
    level: int
    phone: str | None  # None: a new number
    channel: Channel
    institution: str | None
    read_aloud: bool = False
    large_text: bool = False


_NAMED = (
    _Named(
        "demo",
        "王德明",
        date(1962, 3, 15),
        1,
        1,
        "+8613800000001",
        Channel.VOICE,
        "rehab",
        read_aloud=True,
    ),
    # The family shares the father's phone: messages about his son reach him.
    _Named("dependent", "李思远", date(2003, 8, 9), 5, 2, "+8613800000002", Channel.SMS, "rehab"),
    _Named(
        "agent_for", "蒲长贵", date(1941, 11, 2), 4, 1, None, Channel.VOICE, None, large_text=True
    ),
)


def create_named_residents(ctx: DemoContext) -> None:
    """The demo resident and the guardian's two dependents, all in the demo village."""
    village = demo_village(ctx)
    for spec in _NAMED:
        id_number = new_id_number(ctx, spec.born, "M")
        ctx.named[spec.key] = register_resident(
            ctx.session,
            name=spec.name,
            area=village,
            disability_category=spec.category,
            certificate_number=f"{id_number}{spec.category}{spec.level}",
            phone=spec.phone or new_phone(ctx),
            channel=spec.channel,
            today=ctx.today,
            address=address_in(ctx, village),
            institution_id=ctx.institutions[spec.institution].id if spec.institution else None,
            read_aloud=spec.read_aloud,
            large_text=spec.large_text,
        )
    demo, dependent, elder = (ctx.named[key] for key in ("demo", "dependent", "agent_for"))
    resident_user = _user(ctx, "+8613800000001", Role.RESIDENT, demo.name, resident_id=demo.id)
    guardian = _user(ctx, "+8613800000002", Role.GUARDIAN, "李建华")
    ctx.session.flush()
    ctx.accounts[demo.id] = resident_user
    ctx.guardians[dependent.id] = guardian
    ctx.guardians[elder.id] = guardian
    ctx.session.add_all(
        [
            Guardianship(
                guardian_user_id=guardian.id,
                resident_id=dependent.id,
                kind=GuardianKind.GUARDIAN,
                relationship_=Relationship.PARENT,
                scope=GuardianScope.FULL,
                valid_from=date(2021, 8, 9),  # his 18th birthday
            ),
            Guardianship(
                guardian_user_id=guardian.id,
                resident_id=elder.id,
                kind=GuardianKind.AGENT,
                relationship_=Relationship.APPOINTED,
                scope=GuardianScope.CASES,
                valid_from=date(ctx.today.year - 1, 3, 1),
                expires_on=date(ctx.today.year + 1, 2, 28),
            ),
        ]
    )
    ctx.session.flush()
