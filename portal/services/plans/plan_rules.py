"""The plan (一人一策) workflow table: who may move a plan from which state to which.

`RULES` is the one definition of it. Staff draft a year's plan, submit it, the resident (or
guardian) agrees, and a township officer of the resident's township or above approves it;
`portal.services.plans.plan_workflow` holds the services that follow the table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

from portal.models import PlanStatus, Role

DRAFT, AWAITING_AGREEMENT = PlanStatus.DRAFT, PlanStatus.AWAITING_AGREEMENT
AWAITING_APPROVAL, ACTIVE, CLOSED = (
    PlanStatus.AWAITING_APPROVAL,
    PlanStatus.ACTIVE,
    PlanStatus.CLOSED,
)
#: States of a version still on its way to approval (at most one per resident at a time).
PENDING = (DRAFT, AWAITING_AGREEMENT, AWAITING_APPROVAL)
#: Share of needs with an answer (planned, referred or declined) that a plan should reach.
ANSWER_TARGET = 0.95

#: Staff who write plans for residents in their area.
EDITORS = frozenset({Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.ADMIN})
#: The township (or above) approves; a village worker never approves their own plan.
APPROVERS = frozenset({Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.ADMIN})
RESIDENT_SIDE = frozenset({Role.RESIDENT, Role.GUARDIAN})
#: Who may open a resident's plan page (supervisors check plans; they change nothing).
READERS = EDITORS | {Role.SUPERVISOR}


class PlanAction(enum.StrEnum):
    EDIT = "edit"  # add or remove items, the no-development reason
    SUBMIT = "submit"  # to the resident for agreement
    WITHDRAW = "withdraw"  # back to draft before the resident agreed (they asked for changes)
    AGREE = "agree"  # the resident or guardian: portal, SMS, voice key
    AGREE_IN_PERSON = "agree_in_person"  # staff record a paper agreement and its witness
    APPROVE = "approve"
    RETURN = "return"  # sent back to draft by the township, with a reason
    REVISE = "revise"  # start a new version of the plan in force


@dataclass(frozen=True)
class Rule:
    """`action` is allowed in each key of `moves` and leaves the plan in its value."""

    moves: MappingProxyType[PlanStatus, PlanStatus]
    actors: frozenset[Role]


def _rule(moves: dict[PlanStatus, PlanStatus], actors: frozenset[Role]) -> Rule:
    return Rule(MappingProxyType(moves), actors)


# action → {from: to}, who. Creating this year's first draft needs an editor and no pending
# version (`start_draft`); REVISE leaves the plan in force active and makes a new draft version.
RULES: dict[PlanAction, Rule] = {
    PlanAction.EDIT: _rule({DRAFT: DRAFT}, EDITORS),
    PlanAction.SUBMIT: _rule({DRAFT: AWAITING_AGREEMENT}, EDITORS),
    PlanAction.WITHDRAW: _rule({AWAITING_AGREEMENT: DRAFT}, EDITORS),
    PlanAction.AGREE: _rule({AWAITING_AGREEMENT: AWAITING_APPROVAL}, RESIDENT_SIDE),
    PlanAction.AGREE_IN_PERSON: _rule({AWAITING_AGREEMENT: AWAITING_APPROVAL}, EDITORS),
    PlanAction.APPROVE: _rule({AWAITING_APPROVAL: ACTIVE}, APPROVERS),
    PlanAction.RETURN: _rule({AWAITING_APPROVAL: DRAFT}, APPROVERS),
    PlanAction.REVISE: _rule({ACTIVE: ACTIVE}, EDITORS),
}


class PlanActionRefused(ValueError):
    """The action is not allowed now; `code` says why (`not_allowed`, `pending_version`, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PlanInvalidError(ValueError):
    """The plan cannot be submitted yet: `problems` are the codes of what is missing."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


def check(action: PlanAction, role: Role, status: PlanStatus) -> PlanStatus:
    """The status after `action`, or PlanActionRefused("not_allowed")."""
    rule = RULES[action]
    if role not in rule.actors or status not in rule.moves:
        raise PlanActionRefused("not_allowed")
    return rule.moves[status]


def allowed(role: Role, status: PlanStatus) -> frozenset[PlanAction]:
    """Every action `role` may take on a plan in `status`."""
    return frozenset(
        action for action, rule in RULES.items() if status in rule.moves and role in rule.actors
    )
