"""Administrators' edits to the SLA policies (one per case type), audited.

A policy applies when a deadline is worked out: changes reach cases received from now on;
deadlines already stored on cases do not move.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from portal.models import AuditEvent, SlaPolicy
from portal.models.base import AnySession
from portal.services.sla.deadlines import DEFAULT_POLICIES, Unit

AMOUNT_RANGE = range(1, 1000)
EXTENSIONS_RANGE = range(0, 6)


@dataclass(frozen=True)
class PolicyValues:
    ack_amount: int
    ack_unit: str
    resolve_amount: int
    resolve_unit: str
    max_extensions: int
    extension_amount: int

    @classmethod
    def of(cls, policy: SlaPolicy) -> PolicyValues:
        return cls(
            ack_amount=policy.ack_amount,
            ack_unit=policy.ack_unit,
            resolve_amount=policy.resolve_amount,
            resolve_unit=policy.resolve_unit,
            max_extensions=policy.max_extensions,
            extension_amount=policy.extension_amount,
        )

    def problems(self) -> dict[str, str]:
        """Field name → rule broken (`amount_range`, `unit`, `extensions_range`,
        `extension_amount`); empty when the values are acceptable."""
        found: dict[str, str] = {}
        units = {str(u) for u in Unit}
        for field in ("ack_amount", "resolve_amount"):
            if getattr(self, field) not in AMOUNT_RANGE:
                found[field] = "amount_range"
        for field in ("ack_unit", "resolve_unit"):
            if getattr(self, field) not in units:
                found[field] = "unit"
        if self.max_extensions not in EXTENSIONS_RANGE:
            found["max_extensions"] = "extensions_range"
        if self.max_extensions > 0 and self.extension_amount not in AMOUNT_RANGE:
            found["extension_amount"] = "extension_amount"
        elif self.max_extensions == 0 and not 0 <= self.extension_amount < AMOUNT_RANGE.stop:
            found["extension_amount"] = "extension_amount"
        return found


def policies(session: AnySession) -> list[SlaPolicy]:
    """Every policy, in the order of domain.md's table (unknown types last, by name)."""
    order = {case_type: i for i, case_type in enumerate(DEFAULT_POLICIES)}
    rows = session.scalars(select(SlaPolicy)).all()
    return sorted(rows, key=lambda p: (order.get(p.case_type, len(order)), p.case_type))


def update_policy(
    session: AnySession,
    policy: SlaPolicy,
    values: PolicyValues,
    *,
    actor_id: int | None,
    now: datetime,
    ip_address: str | None = None,
) -> bool:
    """Apply `values`; audited `sla_policy.update` with old and new values. False when
    nothing changed (then nothing is audited). Raises ValueError for invalid values."""
    problems = values.problems()
    if problems:
        raise ValueError(f"invalid SLA policy values: {problems}")
    old = PolicyValues.of(policy)
    if old == values:
        return False
    for field, value in asdict(values).items():
        setattr(policy, field, value)
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action="sla_policy.update",
            object_type="sla_policy",
            object_id=policy.id,
            data={"case_type": policy.case_type, "old": asdict(old), "new": asdict(values)},
            ip_address=ip_address,
            created_at=now,
        )
    )
    session.flush()
    return True
