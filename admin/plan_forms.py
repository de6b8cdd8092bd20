"""The plan editor's forms: an answer to a need (or an item without one), and the workflow steps.

Which fields an answer needs depends on the decision (planned, referred or declined); the
rule itself is `plan_workflow.REQUIRED`, and `ItemForm.validate` puts its result next to the
fields. Selects get their choices in the view.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from admin.case_forms import OneOfChoices
from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.models import ItemStatus, PlanPart
from portal.services.plans.plan_workflow import REQUIRED, ItemInput
from portal.services.reference import labels

TEXT_LIMIT = 2000
NAME_LIMIT = 200
WITNESS_LIMIT = 100

DECISIONS = {
    ItemStatus.PLANNED: _l("Plan it"),
    ItemStatus.REFERRED: _l("Refer it to another department"),
    ItemStatus.DECLINED: _l("Decline it, with a reason"),
}
#: The message next to each field a decision needs when it is empty.
MISSING = {
    "description": _l("Write what will be done"),
    "responsible": _l("Write who is responsible"),
    "planned_by": _l("Enter the date it is due by"),
    "decision_reason": _l("Write the reason the resident will read"),
}


def _text(label: Any, limit: int = TEXT_LIMIT) -> TextAreaField:
    return TextAreaField(label, filters=[strip_text], validators=[MaxChars(limit), PlainText()])


class ItemForm(BaseForm):
    """An answer to one need; with `need_item` offered, an item added without a need."""

    need_item = SelectField(
        _l("Service from the catalogue"),
        validate_choice=False,
        validators=[OneOfChoices(_l("Choose a service from the catalogue"))],
    )
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice(status.value, label) for status, label in DECISIONS.items()],
        validators=[DataRequired(_l("Choose whether to plan, refer or decline it"))],
    )
    part = RadioField(
        _l("Part of the plan"),
        choices=[SelectChoice(part.value, labels.PLAN_PARTS[part.value]) for part in PlanPart],
        default=PlanPart.ASSISTANCE.value,
        validators=[DataRequired(_l("Choose the part of the plan"))],
    )
    description = _text(_l("What will be done"))
    responsible = StringField(
        _l("Who is responsible (department or person)"),
        filters=[strip_text],
        validators=[MaxChars(NAME_LIMIT), PlainText()],
    )
    institution = SelectField(
        _l("Service institution (optional)"),
        validate_choice=False,
        validators=[OneOfChoices(_l("Choose an institution from the list"), optional=True)],
    )
    planned_by = DateField(
        _l("Due by"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    decision_reason = _text(_l("Reason, or who takes it on (the resident reads this)"))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.decision.errors and self.decision.data in REQUIRED:
            # Read from the fields themselves: item_input() converts values that may be invalid.
            for name in REQUIRED[ItemStatus(self.decision.data)]:
                field = getattr(self, name)
                if field.data:
                    continue
                if not field.errors:
                    field.errors = [*field.errors, MISSING[name]]
                ok = False
        return ok

    def item_input(self, *, need_item_id: int, needs_answer_id: int | None = None) -> ItemInput:
        institution = self.institution.data
        return ItemInput(
            part=PlanPart(self.part.data or PlanPart.ASSISTANCE),
            status=ItemStatus(self.decision.data),
            need_item_id=need_item_id,
            description=self.description.data or None,
            responsible=self.responsible.data or None,
            institution_id=int(institution) if institution else None,
            planned_by=self.planned_by.data,
            decision_reason=self.decision_reason.data or None,
            needs_answer_id=needs_answer_id,
        )


class DevelopmentForm(BaseForm):
    no_development_reason = _text(_l("Why there is no development part (if there is none)"))


class ActionForm(BaseForm):
    """A workflow step with nothing to fill in (start, submit, withdraw, approve, remove)."""


class PaperAgreementForm(BaseForm):
    witness = StringField(
        _l("Who witnessed the signature"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Write the name of who witnessed it")),
            MaxChars(WITNESS_LIMIT),
            PlainText(),
        ],
    )


class ReturnForm(BaseForm):
    reason = TextAreaField(
        _l("Why it is returned"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Write why the plan is returned")),
            MaxChars(TEXT_LIMIT),
            PlainText(),
        ],
    )
