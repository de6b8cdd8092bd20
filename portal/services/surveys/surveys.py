"""The yearly home visit (两表一卡): finding residents, saving the two forms, confirming them.

A year's survey is one BasicStatusRecord and one NeedsRecord per resident (both unique per
resident and year); saving writes both at once. The resident confirms the pair (recorded on the
NeedsRecord), in the portal or in person before a named witness; a save that changes anything
afterwards drops that confirmation, because the resident has not seen the new version.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from portal.models import (
    AuditEvent,
    BasicStatusRecord,
    NeedItem,
    NeedsAnswer,
    NeedsRecord,
    Resident,
    Role,
    User,
)
from portal.models.base import AnySession
from portal.services.reference.area_tree import area_tree

#: Who may record a survey or an in-person confirmation (administrators always may).
SURVEY_ROLES = (Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF)
#: Who may read a survey: the recorders, and supervisors checking their work.
SURVEY_READERS = (*SURVEY_ROLES, Role.SUPERVISOR)

LIVING_ARRANGEMENTS = ("with_family", "with_spouse", "alone", "institution")
#: Basic-status answers kept in `answers`, by catalogue code: yes/no questions...
YES_NO_ANSWERS = ("HEALTH.FAMILY_DOCTOR", "EDU.LITERACY", "CULT.PARTICIPATION", "CARE.AGED_PARENTS")
#: ...and questions with coded answers (words in labels.SURVEY_VALUES).
CHOICE_ANSWERS: dict[str, tuple[str, ...]] = {
    "EDU.LEVEL": ("none", "primary", "junior_secondary", "senior_secondary", "college"),
    "POV.HOUSING_STATUS": ("own_safe", "own_unsafe", "rented"),
}
PAGE_SIZE = 50


class SurveyState(enum.StrEnum):
    """The list filter: whether this year's visit is recorded, and confirmed."""

    DONE = "done"
    NOT_DONE = "not_done"
    NOT_CONFIRMED = "not_confirmed"


@dataclass(frozen=True)
class SurveyInput:
    """What the staff form holds: the visit, the basic status, and the needs ticked."""

    surveyed_on: date
    surveyed_by_id: int
    living_arrangement: str
    income_support: bool
    employed: bool
    medical_insurance: bool
    pension_insurance: bool
    answers: dict[str, Any]
    needs: dict[int, str | None] = field(default_factory=dict)  # need item id -> note


@dataclass(frozen=True)
class YearSurvey:
    status: BasicStatusRecord | None
    needs: NeedsRecord | None

    @property
    def done(self) -> bool:
        return self.needs is not None

    @property
    def confirmed(self) -> bool:
        return self.needs is not None and self.needs.confirmed_at is not None


@dataclass(frozen=True)
class SaveResult:
    created: bool
    changed: bool
    unconfirmed: bool  # a confirmation was dropped because the record changed


class NotConfirmableError(Exception):
    """There is no record for the year, or it is confirmed already."""


def year_survey(session: AnySession, resident_id: int, year: int) -> YearSurvey:
    status = session.scalar(
        select(BasicStatusRecord).where(
            BasicStatusRecord.resident_id == resident_id, BasicStatusRecord.year == year
        )
    )
    needs = session.scalar(
        select(NeedsRecord).where(NeedsRecord.resident_id == resident_id, NeedsRecord.year == year)
    )
    return YearSurvey(status, needs)


def needs_catalogue(session: AnySession) -> list[NeedItem]:
    """The items the needs form asks about, in catalogue order grouped by domain."""
    return list(
        session.scalars(
            select(NeedItem)
            .where(NeedItem.active, NeedItem.kind.in_(("need", "both")))
            .order_by(NeedItem.domain, NeedItem.id)
        )
    )


def status_items(session: AnySession) -> dict[str, NeedItem]:
    """The catalogue entries naming the basic-status questions kept in `answers`."""
    codes = [*YES_NO_ANSWERS, *CHOICE_ANSWERS]
    return {
        item.code: item
        for item in session.scalars(select(NeedItem).where(NeedItem.code.in_(codes)))
    }


def visitors(session: AnySession, resident: Resident, user: User) -> list[User]:
    """Who may be named as the visitor: active recorders whose area holds the resident's area,
    and `user` (the default) whatever their area."""
    chain = [node.id for node in area_tree(session).chain(resident.area_id)]
    found = list(
        session.scalars(
            select(User)
            .where(User.area_id.in_(chain), User.active, User.role.in_(SURVEY_ROLES))
            .order_by(User.name, User.id)
        )
    )
    if all(u.id != user.id for u in found):
        found.insert(0, user)
    return found


def save_survey(
    session: AnySession,
    resident: Resident,
    year: int,
    values: SurveyInput,
    *,
    actor_id: int,
    ip_address: str | None,
    now: datetime,
) -> SaveResult:
    """Create or update the year's two records from `values`, and audit it.

    A ticked need is answered "needed" with its note; an item answered before and now unticked
    stays on the record as "not needed", so the record shows it was asked about.
    """
    current = year_survey(session, resident.id, year)
    status = current.status or BasicStatusRecord(resident_id=resident.id, year=year, answers={})
    needs = current.needs or NeedsRecord(resident_id=resident.id, year=year)
    before = _snapshot(status, needs) if current.status and current.needs else None
    status.surveyed_on = needs.surveyed_on = values.surveyed_on
    status.surveyed_by_id = needs.surveyed_by_id = values.surveyed_by_id
    status.living_arrangement = values.living_arrangement
    status.income_support = values.income_support
    status.employed = values.employed
    status.medical_insurance = values.medical_insurance
    status.pension_insurance = values.pension_insurance
    # A new dict, so the JSON column sees the change; answers the form does not ask stay.
    status.answers = {**(status.answers or {}), **values.answers}
    _set_needs(needs, values.needs)
    changed = before is None or before != _snapshot(status, needs)
    unconfirmed = changed and needs.confirmed_at is not None
    if unconfirmed:
        needs.confirmed_at = needs.confirmed_by_id = None
        needs.confirmation_method = needs.confirmation_witness = None
    session.add_all([status, needs])
    session.flush()
    if changed:
        session.add(
            _audit(
                "survey.save",
                needs,
                actor_id=actor_id,
                ip_address=ip_address,
                now=now,
                data={"year": year, "created": before is None, "unconfirmed": unconfirmed},
            )
        )
        session.flush()
    return SaveResult(created=before is None, changed=changed, unconfirmed=unconfirmed)


def _set_needs(record: NeedsRecord, ticked: dict[int, str | None]) -> None:
    by_item = {answer.need_item_id: answer for answer in record.answers}
    for item_id, note in ticked.items():
        answer = by_item.get(item_id)
        if answer is None:
            record.answers.append(NeedsAnswer(need_item_id=item_id, needed=True, note=note))
        else:
            answer.needed, answer.note = True, note
    for item_id, answer in by_item.items():
        if item_id not in ticked:
            answer.needed, answer.note = False, None


def _snapshot(status: BasicStatusRecord, needs: NeedsRecord) -> tuple[Any, ...]:
    """Everything the resident confirms, to tell whether a save changed it."""
    answers = sorted((a.need_item_id, a.needed, a.note or "") for a in needs.answers)
    return (
        status.surveyed_on,
        status.surveyed_by_id,
        status.living_arrangement,
        status.income_support,
        status.employed,
        status.medical_insurance,
        status.pension_insurance,
        sorted((status.answers or {}).items(), key=lambda pair: pair[0]),
        answers,
    )


def confirm_in_person(
    session: AnySession,
    record: NeedsRecord,
    *,
    staff_id: int,
    witness: str,
    ip_address: str | None,
    now: datetime,
) -> None:
    """Staff record that the resident (or a guardian) confirmed the record before `witness`."""
    _confirm(record, method="in_person", by_id=staff_id, witness=witness, now=now)
    session.add(
        _audit(
            "survey.confirm",
            record,
            actor_id=staff_id,
            ip_address=ip_address,
            now=now,
            data={"year": record.year, "method": "in_person"},
        )
    )
    session.flush()


def confirm_in_portal(
    session: AnySession,
    record: NeedsRecord,
    *,
    user: User,
    ip_address: str | None,
    now: datetime,
) -> None:
    """The resident, or a guardian acting for them, says this year's record is right."""
    _confirm(record, method="portal", by_id=user.id, witness=None, now=now)
    audit = _audit(
        "survey.confirm",
        record,
        actor_id=user.id,
        ip_address=ip_address,
        now=now,
        data={"year": record.year, "method": "portal"},
    )
    if user.resident_id != record.resident_id:
        audit.on_behalf_of_id = record.resident_id
    session.add(audit)
    session.flush()


def _confirm(
    record: NeedsRecord, *, method: str, by_id: int, witness: str | None, now: datetime
) -> None:
    if record.confirmed_at is not None:
        raise NotConfirmableError
    record.confirmed_at = now
    record.confirmed_by_id = by_id
    record.confirmation_method = method
    record.confirmation_witness = witness


def _audit(
    action: str,
    record: NeedsRecord,
    *,
    actor_id: int,
    ip_address: str | None,
    now: datetime,
    data: dict[str, Any],
) -> AuditEvent:
    return AuditEvent(
        actor_id=actor_id,
        action=action,
        resident_id=record.resident_id,
        object_type="needs_record",
        object_id=record.id,
        ip_address=ip_address,
        data=data,
        created_at=now,
    )
