"""Workflow as data: the case states, the actions allowed in each, and who may take them.

`RULES` is the one definition. Every service that changes a case asks `check()` first and sets
the status it returns; nothing else decides transitions. The system (the SLA sweep) is an actor
like any role, so its rights are written here too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

from portal.models import CaseStatus, Role, User

NEW, IN_PROGRESS, WAITING = CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING
RESOLVED, CLOSED, WITHDRAWN = CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN
OPEN = (NEW, IN_PROGRESS, WAITING)

#: The actor that is not a person: the SLA sweep.
SYSTEM = "system"
Actor = Role | str


class Action(enum.StrEnum):
    # Staff
    PUBLIC_REPLY = "public_reply"
    NOTE = "note"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume"
    RESOLVE = "resolve"
    EXTEND = "extend"
    ESCALATE = "escalate"
    MARK_URGENT = "mark_urgent"
    MERGE = "merge"
    # Residents, guardians and agents
    RESIDENT_REPLY = "resident_reply"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    RATE = "rate"
    WITHDRAW = "withdraw"
    # The system
    WARN = "warn"
    AUTO_CLOSE = "auto_close"


#: People who handle cases in their area; institutions may answer their own residents.
HANDLERS = frozenset({Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.ADMIN})
#: Handlers who look after more than one village, so can move a case between them.
AREA_HANDLERS = frozenset({Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.ADMIN})
OVERSEERS = frozenset({Role.SUPERVISOR})
RESIDENT_SIDE = frozenset({Role.RESIDENT, Role.GUARDIAN})


@dataclass(frozen=True)
class Rule:
    """`action` is allowed in each key of `moves` and leaves the case in its value."""

    moves: MappingProxyType[CaseStatus, CaseStatus]
    actors: frozenset[Actor]


def _stay(*states: CaseStatus) -> dict[CaseStatus, CaseStatus]:
    return {state: state for state in states}


def _rule(moves: dict[CaseStatus, CaseStatus], *actors: frozenset[Actor] | str) -> Rule:
    who: set[Actor] = set()
    for group in actors:
        who |= {group} if isinstance(group, str) else group
    return Rule(MappingProxyType(moves), frozenset(who))


RULES: dict[Action, Rule] = {
    # A first public reply starts the work; replies while waiting keep the case waiting.
    Action.PUBLIC_REPLY: _rule(
        {NEW: IN_PROGRESS, IN_PROGRESS: IN_PROGRESS, WAITING: WAITING},
        HANDLERS,
        frozenset({Role.INSTITUTION}),
    ),
    Action.NOTE: _rule(
        _stay(*OPEN, RESOLVED, CLOSED), HANDLERS, OVERSEERS, frozenset({Role.INSTITUTION})
    ),
    Action.ASSIGN: _rule(_stay(*OPEN), HANDLERS),
    Action.TRANSFER: _rule(_stay(*OPEN), AREA_HANDLERS),
    Action.PAUSE: _rule({NEW: WAITING, IN_PROGRESS: WAITING}, HANDLERS),
    Action.RESUME: _rule({WAITING: IN_PROGRESS}, HANDLERS),
    Action.RESOLVE: _rule({state: RESOLVED for state in OPEN}, HANDLERS),
    Action.EXTEND: _rule(_stay(NEW, IN_PROGRESS), HANDLERS),
    # Staff escalate open cases; the system at a deadline; a resident's second "dissatisfied".
    Action.ESCALATE: _rule(_stay(*OPEN), HANDLERS, OVERSEERS, SYSTEM),
    Action.MARK_URGENT: _rule(_stay(*OPEN), HANDLERS, OVERSEERS),
    # The duplicate closes; its history stays, pointing at the case that goes on.
    Action.MERGE: _rule({state: CLOSED for state in OPEN}, HANDLERS),
    Action.RESIDENT_REPLY: _rule(
        {NEW: NEW, IN_PROGRESS: IN_PROGRESS, WAITING: IN_PROGRESS}, RESIDENT_SIDE
    ),
    Action.CONFIRM: _rule({RESOLVED: CLOSED}, RESIDENT_SIDE),
    Action.REOPEN: _rule({RESOLVED: IN_PROGRESS, CLOSED: IN_PROGRESS}, RESIDENT_SIDE),
    Action.RATE: _rule(_stay(RESOLVED, CLOSED), RESIDENT_SIDE),
    Action.WITHDRAW: _rule(
        {NEW: WITHDRAWN, IN_PROGRESS: WITHDRAWN, WAITING: WITHDRAWN}, RESIDENT_SIDE
    ),
    Action.WARN: _rule(_stay(NEW, IN_PROGRESS), SYSTEM),
    # A resolved case nobody reopened closes when the reopening window ends.
    Action.AUTO_CLOSE: _rule({RESOLVED: CLOSED}, SYSTEM),
}


class ActionRefused(ValueError):
    """The action is not allowed now; `code` says why (`not_allowed`, `window_closed`, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def actor_of(user: User | None) -> Actor:
    """The workflow actor for a user; None is the system."""
    return SYSTEM if user is None else user.role


def allowed(actor: Actor, status: CaseStatus) -> frozenset[Action]:
    """Every action `actor` may take on a case in `status` (before time limits and scope)."""
    return frozenset(
        action for action, rule in RULES.items() if status in rule.moves and actor in rule.actors
    )


def check(action: Action, actor: Actor, status: CaseStatus) -> CaseStatus:
    """The status after `action`, or ActionRefused("not_allowed")."""
    rule = RULES[action]
    if actor not in rule.actors or status not in rule.moves:
        raise ActionRefused("not_allowed")
    return rule.moves[status]
