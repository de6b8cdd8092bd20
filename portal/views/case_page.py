"""The case page's pieces: the action forms and the public timeline in plain words (worded by
`portal.services.cases.event_wording`, the table the staff timeline reads too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Optional

from portal.extensions import db
from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.models import Case, Satisfaction, User
from portal.services.cases.event_wording import SHOWN_KINDS, resident_line
from portal.services.reference.labels import SATISFACTION

TEXT_LIMIT = 2000
LEVELS = [s.value for s in Satisfaction]


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
        line = resident_line(event)
        by = None
        if event.on_behalf_of_id and event.actor_id in names:
            by = _("By %(name)s, acting for the resident", name=names[event.actor_id])
        entries.append(Entry(line.title, event.created_at, line.reason, line.body, by))
    return entries
