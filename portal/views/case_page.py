"""The case page's pieces: the action forms and the public timeline in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Optional

from portal.extensions import db
from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.models import Case, CaseEvent, CaseStatus, EventKind, Satisfaction, User
from portal.services.cases.case_actions import (
    DISSATISFIED_LATE,
    DISSATISFIED_RATING,
    DISSATISFIED_TWICE,
)
from portal.services.cases.escalation import BY_STAFF, DEADLINE_PASSED
from portal.services.reference.labels import CASE_STATUSES, SATISFACTION

TEXT_LIMIT = 2000
LEVELS = [s.value for s in Satisfaction]

#: Events a resident sees; staff notes, assignments and deadline warnings stay internal.
SHOWN_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.PUBLIC_REPLY,
        EventKind.RESIDENT_REPLY,
        EventKind.STATUS_CHANGED,
        EventKind.PAUSED,
        EventKind.RESUMED,
        EventKind.ESCALATED,
        EventKind.RATED,
        EventKind.REOPENED,
        EventKind.WITHDRAWN,
        EventKind.EXTENDED,
        EventKind.MERGED,
    }
)


class ReplyForm(BaseForm):
    text = TextAreaField(
        _l("Your reply"),
        filters=[strip_text],
        validators=[DataRequired(_l("Write your reply")), MaxChars(TEXT_LIMIT), PlainText()],
    )


class ReopenForm(BaseForm):
    reason = TextAreaField(
        _l("Why do you want to open it again?"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Say why you want to open it again")),
            MaxChars(TEXT_LIMIT),
            PlainText(),
        ],
    )


class RatingForm(BaseForm):
    level = RadioField(
        _l("How satisfied are you with how this was handled?"),
        choices=[SelectChoice(value, SATISFACTION[value]) for value in LEVELS],
        validate_choice=False,
        validators=[
            DataRequired(_l("Choose how satisfied you are")),
            AnyOf(LEVELS, _l("Choose how satisfied you are")),
        ],
    )
    comment = TextAreaField(
        _l("Anything you would like to add? (optional)"),
        filters=[strip_text],
        validators=[Optional(), MaxChars(TEXT_LIMIT), PlainText()],
    )


def empty_forms() -> dict[str, FlaskForm]:
    """Each action's form, blank; the prefixes keep every field's id and name unique."""
    return {
        "reply_form": ReplyForm(prefix="reply", formdata=None),
        "reopen_form": ReopenForm(prefix="reopen", formdata=None),
        "rating_form": RatingForm(prefix="rating", formdata=None),
    }


@dataclass(frozen=True)
class Entry:
    """One line of the timeline as the resident reads it."""

    title: str
    when: datetime
    reason: str | None = None
    body: str | None = None
    by: str | None = None


def _pause_reason(event: CaseEvent) -> str:
    code = event.data.get("reason")
    if event.body:
        return event.body
    if code in (None, "waiting_for_resident"):
        return _("Staff need something from you before they can go on.")
    return str(code)


def _status_title(event: CaseEvent) -> str:
    to = event.data.get("to")
    if to == CaseStatus.CLOSED.value and event.data.get("confirmed"):
        return _("You confirmed it is resolved")
    if to == CaseStatus.RESOLVED.value:
        return _("Marked as resolved")
    if to in CASE_STATUSES:
        return _("Status changed to: %(status)s", status=CASE_STATUSES[to])
    return _("Status changed")


def _escalation_reason(event: CaseEvent) -> str:
    if event.data.get("reason") == DEADLINE_PASSED:
        return _(
            "The time to answer you had passed, so a senior officer will make sure you get one."
        )
    if event.data.get("reason") == BY_STAFF:
        return _("Staff asked a senior officer to help with it.")
    if event.data.get("reason") == DISSATISFIED_TWICE:
        return _("You were not satisfied with how it was handled, twice.")
    if event.data.get("reason") == DISSATISFIED_LATE:
        return _("You were not satisfied, and it was too late to open it again.")
    return _("This makes sure it gets an answer.")


def _reopen_reason(event: CaseEvent) -> str | None:
    if event.data.get("reason") == DISSATISFIED_RATING:
        return _("You were not satisfied with how it was handled.")
    return None


def _new_date(event: CaseEvent) -> str | None:
    due = event.data.get("to")
    if not isinstance(due, str):
        return None
    try:
        moment = datetime.fromisoformat(due)
    except ValueError:
        return None
    return _("New date for the answer: %(due)s", due=format_datetime(moment, "yyyy-MM-dd HH:mm"))


def _merged(event: CaseEvent) -> Entry:
    if event.data.get("into"):
        return Entry(
            _("Joined with request %(reference)s", reference=event.data["into"]),
            event.created_at,
            body=_(
                "It asks the same as request %(reference)s, so it is answered there. "
                "This one is closed.",
                reference=event.data["into"],
            ),
        )
    return Entry(
        _("Joined with request %(reference)s", reference=event.data.get("from", "")),
        event.created_at,
    )


def _entry(event: CaseEvent) -> Entry:
    kind, when, body = event.kind, event.created_at, event.body
    if kind == EventKind.CREATED:
        return Entry(_("We received it"), when, body=body)
    if kind == EventKind.PUBLIC_REPLY:
        return Entry(_("Reply from staff"), when, body=body)
    if kind == EventKind.RESIDENT_REPLY:
        return Entry(_("Your reply"), when, body=body)
    if kind == EventKind.PAUSED:
        return Entry(_("Waiting for you: the clock is stopped"), when, reason=_pause_reason(event))
    if kind == EventKind.RESUMED:
        return Entry(_("Work started again: the clock is running"), when, body=body)
    if kind == EventKind.ESCALATED:
        return Entry(
            _("Passed to a senior officer one level up"), when, reason=_escalation_reason(event)
        )
    if kind == EventKind.RATED:
        level = event.data.get("level")
        label = SATISFACTION[level] if level in SATISFACTION else ""
        return Entry(_("Rated how it was handled: %(level)s", level=label), when, body=body)
    if kind == EventKind.REOPENED:
        return Entry(_("Opened again"), when, reason=_reopen_reason(event), body=body)
    if kind == EventKind.WITHDRAWN:
        return Entry(_("Withdrawn"), when, body=body)
    if kind == EventKind.EXTENDED:
        return Entry(_("The deadline was extended"), when, reason=body, body=_new_date(event))
    if kind == EventKind.MERGED:
        return _merged(event)
    return Entry(_status_title(event), when, body=body)


def timeline(case: Case) -> list[Entry]:
    """The public history of `case`, saying who acted when a guardian acted for the resident."""
    events = [e for e in case.events if e.public and e.kind in SHOWN_KINDS]
    guardian_ids = {e.actor_id for e in events if e.on_behalf_of_id and e.actor_id}
    names = {
        user.id: user.name
        for user in db.session.scalars(select(User).where(User.id.in_(guardian_ids)))
    }
    entries = []
    for event in events:
        entry = _entry(event)
        if event.on_behalf_of_id and event.actor_id in names:
            entry = Entry(
                entry.title,
                entry.when,
                entry.reason,
                entry.body,
                _("By %(name)s, acting for the resident", name=names[event.actor_id]),
            )
        entries.append(entry)
    return entries
