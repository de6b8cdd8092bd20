"""The demo's second factor: a published key for the accounts that need one, and a CLI code."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
from sqlalchemy import select

from portal.config import ProductionConfig
from portal.demo import DEMO_ACCOUNTS, DEMO_TOTP_SECRET, seed_demo
from portal.extensions import db
from portal.models import User
from portal.services.accounts import two_factor
from portal.services.people.crypto import cipher

NOW = datetime(2026, 5, 20, 3, 0, tzinfo=UTC)


def test_demo_accounts_with_a_second_factor_share_the_published_key(app):
    summary = seed_demo(db.session, now=NOW, residents=12)
    db.session.commit()
    assert DEMO_TOTP_SECRET in summary and "flask demo code" in summary
    for phone, role, _ in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.phone == phone))
        if role in two_factor.TWO_FACTOR_ROLES:
            assert two_factor.is_set_up(user)
            assert DEMO_TOTP_SECRET not in user.totp_secret  # stored encrypted
            assert two_factor.secret_of(user, decrypt=cipher().decrypt) == DEMO_TOTP_SECRET
        else:
            assert user.totp_secret is None


def test_the_cli_prints_the_current_code_and_is_refused_in_production(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "code"])
    assert result.exit_code == 0, result.output
    printed = result.output.split()[0]
    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    assert totp.verify(printed, valid_window=1)
    original = app.config["CONFIG_OBJECT"]
    app.config["CONFIG_OBJECT"] = ProductionConfig({})
    try:
        refused = runner.invoke(args=["demo", "code"])
    finally:
        app.config["CONFIG_OBJECT"] = original
    assert refused.exit_code != 0 and "production" in refused.output
