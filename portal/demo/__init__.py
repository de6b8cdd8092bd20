"""Demo data: one realistic county to try Wenxu out in, with fixed accounts for every role.

`seed_demo` is what `flask demo seed` runs (refused under the production configuration). It
flushes but never commits, like every service; it is deterministic (a fixed random seed) and
idempotent (a second run finds the demo county and adds nothing).
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime

from sqlalchemy import func, select

from portal.auth import hash_password
from portal.demo.accounts import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    create_named_residents,
    create_staff,
)
from portal.demo.cases import create_cases
from portal.demo.context import DemoContext
from portal.demo.outbox import mark_sent
from portal.demo.people import create_residents
from portal.demo.places import county_exists, create_places
from portal.demo.plans import create_plans, rate_plans
from portal.demo.showcase import create_showcase
from portal.demo.surveys import survey_most
from portal.models import Case, CaseType
from portal.models.base import AnySession
from portal.services.reference.reference_data import seed_reference_data

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DEMO_TOTP_SECRET", "seed_demo"]

log = logging.getLogger(__name__)


def seed_demo(session: AnySession, *, now: datetime, residents: int = 300) -> str:
    """Create the demo county and everything in it; returns a one-paragraph summary.

    About `residents` residents (the three the demo accounts use included), this year's
    surveys and plans, cases over the 60 days before `now`, and the accounts in
    `DEMO_ACCOUNTS`, all with the password `DEMO_PASSWORD`.
    """
    ctx = DemoContext(session=session, now=now, password_hash="")
    seed_reference_data(session, ctx.today)
    if county_exists(ctx):
        log.info("demo data already present")
        return _already_there()
    ctx.password_hash = _password_hash()
    ctx.load_catalogue()
    create_places(ctx)
    create_staff(ctx)
    create_named_residents(ctx)
    create_residents(ctx, max(residents - len(ctx.named), 0))
    plans = create_showcase(ctx)
    plans += create_plans(ctx, survey_most(ctx, ctx.residents))
    rate_plans(ctx, plans)
    if ctx.residents:
        create_cases(ctx, max(len(CaseType), residents // 2))
    messages = mark_sent(ctx)
    cases = session.scalar(
        select(func.count(Case.id)).where(Case.area_id.in_([v.id for v in ctx.villages]))
    )
    log.info("demo data created", extra={"residents": len(ctx.residents) + len(ctx.named)})
    return _created(ctx, plans=len(plans), cases=cases or 0, messages=messages)


@functools.cache
def _password_hash() -> str:
    """The demo password's hash: argon2 is deliberately slow, so hash once, not per account."""
    return hash_password(DEMO_PASSWORD)


def _sign_in() -> str:
    accounts = "; ".join(
        f"{phone.removeprefix('+86')} ({role.value.replace('_', ' ')})"
        for phone, role, _ in DEMO_ACCOUNTS
    )
    return (
        f"Sign in with one of these phone numbers: "
        f"{accounts}. The password for every demo account is {DEMO_PASSWORD}. "
        f"County staff, the supervisor and the administrator also enter a code from an "
        f"authenticator app set up with the key {DEMO_TOTP_SECRET}, "
        f"or the code `flask demo code` prints."
    )


def _created(ctx: DemoContext, *, plans: int, cases: int, messages: int) -> str:
    return (
        f"Demo data created in 南部县 Nanbu County (511321), Nanchong, Sichuan: "
        f"{len(ctx.townships)} townships, {len(ctx.villages)} villages and communities, "
        f"{len(ctx.institutions)} service institutions, "
        f"{len(ctx.residents) + len(ctx.named)} residents, {plans} current plans, "
        f"{cases} cases and {messages} messages in the outbox (recorded as sent by the "
        f"console provider). " + _sign_in()
    )


def _already_there() -> str:
    return (
        "Demo data is already there (南部县 Nanbu County, 511321): nothing was added. " + _sign_in()
    )
