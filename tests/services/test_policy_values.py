"""The rules an SLA policy must keep, checked in the service as well as in the form."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, SlaPolicy
from portal.services.sla.sla_policies import PolicyValues, policies, update_policy
from tests.reference_rows import kept_reference_rows

GOOD = PolicyValues(1, "working_days", 15, "working_days", 1, 5)


@pytest.fixture(autouse=True)
def _keep_policies(app):
    with kept_reference_rows():
        yield


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, {}),
        ({"ack_amount": 0}, {"ack_amount": "amount_range"}),
        ({"resolve_amount": 1000}, {"resolve_amount": "amount_range"}),
        ({"ack_unit": "weeks"}, {"ack_unit": "unit"}),
        ({"max_extensions": 6}, {"max_extensions": "extensions_range"}),
        ({"max_extensions": -1}, {"max_extensions": "extensions_range"}),
        ({"extension_amount": 0}, {"extension_amount": "extension_amount"}),
        ({"max_extensions": 0, "extension_amount": 0}, {}),
    ],
)
def test_policy_values_problems(changes, problems):
    values = PolicyValues(**{**GOOD.__dict__, **changes})
    assert values.problems() == problems


def test_policies_come_in_the_order_of_the_domain_table(app):
    assert [p.case_type for p in policies(db.session)][:3] == ["urgent", "consultation", "help"]


def test_update_refuses_invalid_values_and_audits_changes(app):
    complaint = db.session.scalar(select(SlaPolicy).where(SlaPolicy.case_type == "complaint"))
    now = datetime(2026, 11, 24, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="invalid"):
        update_policy(
            db.session,
            complaint,
            PolicyValues(0, "hours", 1, "hours", 0, 0),
            actor_id=None,
            now=now,
        )
    assert update_policy(db.session, complaint, GOOD, actor_id=None, now=now)
    assert (complaint.max_extensions, complaint.extension_amount) == (1, 5)
    assert not update_policy(db.session, complaint, GOOD, actor_id=None, now=now)
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions == ["sla_policy.update"]
