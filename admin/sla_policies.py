"""SLA policies (administrators only): each case type's first-reply and resolution deadlines.

The logic lives in `portal.services.sla.sla_policies`; this module parses forms and words errors.
Numbers are text fields checked here, so what was typed stays in the field beside its error.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from admin import bp
from portal.auth import roles_required
from portal.extensions import db
from portal.forms import BaseForm, strip_text, whole_number
from portal.models import SlaPolicy
from portal.services.reference.labels import CASE_TYPES
from portal.services.sla.deadlines import Unit
from portal.services.sla.sla_policies import PolicyValues, policies, update_policy

UNITS: dict[str, LazyString] = {
    Unit.HOURS.value: _l("hours"),
    Unit.WORKING_DAYS.value: _l("working days"),
    Unit.DAYS.value: _l("calendar days"),
}
UNIT_CHOICE = _l("Choose hours, working days or calendar days")


def amount_text(amount: int, unit: str) -> str:
    """An amount with its unit, pluralised: 2 hours, 1 working day, 60 calendar days."""
    if unit == Unit.HOURS:
        return ngettext("%(num)d hour", "%(num)d hours", amount)
    if unit == Unit.WORKING_DAYS:
        return ngettext("%(num)d working day", "%(num)d working days", amount)
    if unit == Unit.DAYS:
        return ngettext("%(num)d calendar day", "%(num)d calendar days", amount)
    return f"{amount} {unit}"


def _number(text: str | None) -> int | None:
    return whole_number((text or "").strip())


class WholeNumber:
    """A whole number in [low, high], typed as text (so a wrong entry is shown back)."""

    def __init__(self, low: int, high: int, message: LazyString) -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        value = _number(field.data)
        if value is None or not self.low <= value <= self.high:
            raise ValidationError(self.message)


AMOUNT = _l("Enter a whole number from 1 to 999")


class PolicyForm(BaseForm):
    ack_amount = StringField(
        _l("First reply within"),
        filters=[strip_text],
        validators=[DataRequired(AMOUNT), WholeNumber(1, 999, AMOUNT)],
    )
    ack_unit = SelectField(
        _l("Unit of the first reply deadline"),
        choices=[SelectChoice(k, v) for k, v in UNITS.items()],
        validate_choice=False,
        validators=[DataRequired(UNIT_CHOICE)],
    )
    resolve_amount = StringField(
        _l("Resolved within"),
        filters=[strip_text],
        validators=[DataRequired(AMOUNT), WholeNumber(1, 999, AMOUNT)],
    )
    resolve_unit = SelectField(
        _l("Unit of the resolution deadline"),
        choices=[SelectChoice(k, v) for k, v in UNITS.items()],
        validate_choice=False,
        validators=[DataRequired(UNIT_CHOICE)],
    )
    max_extensions = StringField(
        _l("How many times the resolution deadline may be extended"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter a whole number from 0 to 5")),
            WholeNumber(0, 5, _l("Enter a whole number from 0 to 5")),
        ],
    )
    extension_amount = StringField(
        _l("Each extension adds"),
        filters=[strip_text],
    )

    def validate_ack_unit(self, field: Field) -> None:
        if field.data not in UNITS:
            raise ValidationError(UNIT_CHOICE)

    def validate_resolve_unit(self, field: Field) -> None:
        if field.data not in UNITS:
            raise ValidationError(UNIT_CHOICE)

    def validate_extension_amount(self, field: Field) -> None:
        extensions = _number(self.max_extensions.data)
        value = _number(field.data)
        if extensions:
            if value is None or not 1 <= value <= 999:
                raise ValidationError(
                    _l("Enter a whole number from 1 to 999: extensions are allowed")
                )
        elif field.data and (value is None or value > 999):
            raise ValidationError(_l("Enter a whole number from 0 to 999, or leave it empty"))

    def values(self) -> PolicyValues:
        return PolicyValues(
            ack_amount=int(self.ack_amount.data),
            ack_unit=self.ack_unit.data,
            resolve_amount=int(self.resolve_amount.data),
            resolve_unit=self.resolve_unit.data,
            max_extensions=int(self.max_extensions.data),
            extension_amount=_number(self.extension_amount.data) or 0,
        )


@bp.get("/sla-policies")
@roles_required()
def sla_policies() -> ResponseReturnValue:
    return render_template(
        "admin/sla_policies.html",
        title=_("Response deadlines by case type"),
        policies=policies(db.session),
        case_types=CASE_TYPES,
        amount_text=amount_text,
    )


@bp.route("/sla-policies/<int:policy_id>", methods=["GET", "POST"])
@roles_required()
def sla_policy(policy_id: int) -> ResponseReturnValue:
    policy = db.session.get(SlaPolicy, policy_id)
    if policy is None:
        abort(404)
    form = PolicyForm()
    if request.method == "GET":
        form.ack_amount.data = str(policy.ack_amount)
        form.ack_unit.data = policy.ack_unit
        form.resolve_amount.data = str(policy.resolve_amount)
        form.resolve_unit.data = policy.resolve_unit
        form.max_extensions.data = str(policy.max_extensions)
        form.extension_amount.data = str(policy.extension_amount)
    elif form.validate_on_submit():
        changed = update_policy(
            db.session,
            policy,
            form.values(),
            actor_id=current_user.id,
            now=datetime.now(UTC),
            ip_address=request.remote_addr,
        )
        db.session.commit()
        name = CASE_TYPES.get(policy.case_type, policy.case_type)
        if changed:
            flash(
                _(
                    "Saved the deadlines for %(type)s. They apply to cases received from now on.",
                    type=name,
                ),
                "success",
            )
        else:
            flash(_("Nothing changed for %(type)s.", type=name), "info")
        return redirect(url_for("admin.sla_policies"))
    return render_template(
        "admin/sla_policy.html",
        title=_("Deadlines for %(type)s", type=CASE_TYPES.get(policy.case_type, policy.case_type)),
        form=form,
        policy=policy,
    )
