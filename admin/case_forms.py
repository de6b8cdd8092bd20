"""The staff case page's action forms: one small form per workflow action, each with a prefix.

Selects get their choices in the view (`admin.case_page`), from the services that decide who
and where a case may go; the check that the chosen value is one of them is here.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.services.people.identifiers import normalise

TEXT_LIMIT = 2000
REASON_LIMIT = 500


def _text(label: Any, missing: Any, limit: int = TEXT_LIMIT) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip_text],
        validators=[DataRequired(missing), MaxChars(limit), PlainText()],
    )


def _value_of(choice: Any) -> Any:
    """A choice's value, given as a `SelectChoice` or as a (value, label) pair."""
    return choice.value if isinstance(choice, SelectChoice) else choice[0]


class OneOfChoices:
    """The value must be one of the field's current choices (set by the view), not empty.

    With `optional`, nothing chosen (an empty value) is fine too; anything else still is not.
    """

    def __init__(self, message: Any, *, optional: bool = False) -> None:
        self.message = message
        self.optional = optional

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if self.optional and field.data in (None, ""):
            return
        values = {str(_value_of(choice)) for choice in field.choices or []} - {""}
        if str(field.data or "") not in values:
            raise ValidationError(self.message)


class PublicReplyForm(BaseForm):
    text = _text(_l("Reply to the resident"), _l("Write your reply to the resident"))
    # Offered on urgent cases only; using it is audited.
    send_now = BooleanField(_l("Send now, even in the resident's quiet hours"))


class NoteForm(BaseForm):
    text = _text(_l("Internal note"), _l("Write the note"))


class AssignForm(BaseForm):
    assignee = SelectField(
        _l("Assign to"),
        validate_choice=False,
        validators=[OneOfChoices(_l("Choose who should handle it"))],
    )


class TransferForm(BaseForm):
    area = SelectField(
        _l("Move to area"),
        validate_choice=False,
        validators=[OneOfChoices(_l("Choose the area to move it to"))],
    )
    reason = _text(_l("Why move it?"), _l("Say why it should move"), REASON_LIMIT)


class PauseForm(BaseForm):
    reason = _text(
        _l("What do you need from the resident?"),
        _l("Say what you need from the resident"),
        REASON_LIMIT,
    )


class ResumeForm(BaseForm):
    """Only the button (and the CSRF token)."""


class ResolveForm(BaseForm):
    text = _text(_l("Your answer to the resident"), _l("Write the answer to the resident"))


class ExtendForm(BaseForm):
    reason = _text(_l("Why is more time needed?"), _l("Say why more time is needed"), REASON_LIMIT)


class EscalateForm(BaseForm):
    reason = _text(
        _l("Why pass it one level up?"), _l("Say why it should go one level up"), REASON_LIMIT
    )


class MarkUrgentForm(BaseForm):
    reason = _text(_l("Why is it urgent?"), _l("Say why it is urgent"), REASON_LIMIT)


class MergeForm(BaseForm):
    reference = StringField(
        _l("Reference of the request to keep"),
        filters=[lambda value: normalise(value) if isinstance(value, str) else value],
        validators=[DataRequired(_l("Enter the reference of the request to keep")), MaxChars(20)],
    )
