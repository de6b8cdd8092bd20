"""Recording a plan item's delivery with the six elements (六要素), or that it could not be done.

The project is chosen from the service catalogue rather than typed: the catalogue is what the
coverage figures and the supervisors' checks count by, and a typed name ("轮椅", "轮椅适配",
"发轮椅") would split one service into many. The name is stored in Chinese, like the rest of
the record, so the platform matches the paper archive (三个一致).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from admin import bp
from admin.audit import record_read
from admin.audit_log import DayField
from portal.auth import roles_required
from portal.extensions import db
from portal.form_tokens import Made, OneSubmitForm, made_before, submit_once
from portal.forms import MaxChars, PlainText, strip_text
from portal.models import Delivery, NeedItem, PlanItem, Resident, Role
from portal.models.submission import FormSubmission
from portal.services.plans.deliveries import (
    ItemClosedError,
    SixElements,
    item_for_recording,
    may_mark_not_delivered,
    record_delivery,
    record_not_delivered,
    takes_deliveries,
)
from portal.services.reference.labels import current_locale
from portal.services.sla.calendar_admin import local_today

TEXT_LIMIT = 2000
NAME_LIMIT = 200
UNIT_LIMIT = 16
REASON_LIMIT = 500
MAX_YUAN = Decimal("9999999999.99")  # what the column holds
MAX_QUANTITY = 100000


def _text(label: object, missing: object, limit: int = TEXT_LIMIT) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip_text],
        validators=[DataRequired(missing), MaxChars(limit), PlainText()],
    )


def _optional_text(label: object, limit: int) -> StringField:
    return StringField(
        label, filters=[strip_text], validators=[Optional(), MaxChars(limit), PlainText()]
    )


class DeliveryForm(OneSubmitForm):
    submission_kind = "delivery"

    delivered_on = DayField(
        _l("Date delivered"),
        format="%Y-%m-%d",
        validators=[DataRequired(_l("Enter the date it was delivered"))],
    )
    responsible = StringField(
        _l("Responsible department or body"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter the department or body responsible")),
            MaxChars(NAME_LIMIT),
            PlainText(),
        ],
    )
    project = SelectField(
        _l("Project"),
        validate_choice=False,
        validators=[DataRequired(_l("Choose the project from the list"))],
    )
    funds_yuan = DecimalField(
        _l("Money given, in yuan (optional)"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_YUAN, message=_l("Enter an amount from 0 to 9999999999")),
        ],
    )
    equipment = _optional_text(_l("Equipment given (optional)"), NAME_LIMIT)
    equipment_quantity = IntegerField(
        _l("Quantity of equipment"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=MAX_QUANTITY, message=_l("Enter a whole number from 1 to 100000")
            ),
        ],
    )
    equipment_unit = _optional_text(_l("Unit of the quantity"), UNIT_LIMIT)
    measures = _text(_l("What was done"), _l("Describe what was done"))
    effect = _text(_l("The effect"), _l("Describe the effect for the resident"))

    def __init__(self, *args: object, plan_year: int, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.plan_year = plan_year
        self.today = today

    def validate_delivered_on(self, field: DayField) -> None:
        if not isinstance(field.data, date):
            return
        if field.data > self.today:
            raise ValidationError(_l("The date cannot be in the future"))
        if field.data.year != self.plan_year:
            raise ValidationError(
                _l("Use a date in %(year)s, the year of the plan", year=self.plan_year)
            )

    def validate_project(self, field: SelectField) -> None:
        groups = field.choices if isinstance(field.choices, dict) else {}
        codes = {code for choices in groups.values() for code, _name in choices}
        if field.data not in codes:
            raise ValidationError(_l("Choose the project from the list"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() ends an empty field's own checks, so the checks across fields are here.
        missing = []
        if self.funds_yuan.data is None and not self.funds_yuan.errors and not self.equipment.data:
            missing.append(
                (self.funds_yuan, _l("Enter the money given, or the equipment below (or both)"))
            )
        if not self.equipment.data and (self.equipment_quantity.data or self.equipment_unit.data):
            missing.append((self.equipment, _l("Enter the equipment the quantity is for")))
        if self.equipment.data and self.equipment_quantity.data is None:
            if not self.equipment_quantity.errors:
                missing.append((self.equipment_quantity, _l("Enter how many were given")))
        if self.equipment.data and not self.equipment_unit.data:
            missing.append((self.equipment_unit, _l("Enter the unit, like 台, 副 or 次")))
        for field, message in missing:
            field.errors = [*field.errors, message]
        return valid and not missing


class NotDeliveredForm(OneSubmitForm):
    submission_kind = "not_delivered"

    reason = _text(
        _l("Why could it not be delivered?"),
        _l("Say why it could not be delivered"),
        REASON_LIMIT,
    )


def _projects() -> dict[str, list[tuple[str, str]]]:
    """Active services of the catalogue, grouped by domain, in the reader's language."""
    locale = current_locale()
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in db.session.scalars(
        select(NeedItem)
        .where(NeedItem.active, NeedItem.kind != "status")
        .order_by(NeedItem.domain, NeedItem.id)
    ):
        groups.setdefault(item.domain_name(locale), []).append((item.code, item.name(locale)))
    return groups


def _item_or_404(item_id: int, today: date) -> PlanItem:
    item = item_for_recording(db.session, current_user, item_id, today)
    if item is None:
        abort(404)
    return item


def _delivery_form(item: PlanItem, today: date, *, submitted: bool = False) -> DeliveryForm:
    """The delivery form: as posted, or empty with the item's own service as the project."""
    form = DeliveryForm(
        prefix="delivery",
        formdata=None if not submitted else request.form,
        plan_year=item.plan.year,
        today=today,
    )
    form.project.choices = _projects()
    if not submitted:
        form.project.data = item.need_item.code
    return form


@bp.get("/plan-items/<int:item_id>/deliveries/new")
@roles_required(Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.INSTITUTION)
def new_delivery(item_id: int) -> ResponseReturnValue:
    today = local_today(datetime.now(UTC))
    item = _item_or_404(item_id, today)
    return _page(item, _delivery_form(item, today), NotDeliveredForm(prefix="not-delivered"))


@bp.post("/plan-items/<int:item_id>/deliveries/new")
@roles_required(Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.INSTITUTION)
def create_delivery(item_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    item = _item_or_404(item_id, local_today(now))
    form = _delivery_form(item, local_today(now), submitted=True)
    first = made_before(form)  # a repeat after the item closed still shows the first
    if first is not None:
        return _delivered(first)
    if not takes_deliveries(item):
        flash(_("Deliveries can only be recorded for items of an active plan."), "info")
        return redirect(url_for("admin.new_delivery", item_id=item.id))
    if not form.validate_on_submit():
        empty = NotDeliveredForm(prefix="not-delivered", formdata=None)
        return _page(item, form, empty, failed=form), 400
    delivered_on = form.delivered_on.data
    assert isinstance(delivered_on, date)  # DataRequired and the date checks passed
    project = db.session.scalar(select(NeedItem).where(NeedItem.code == form.project.data))
    assert project is not None  # OneOfChoices accepted it from the catalogue
    elements = SixElements(
        delivered_on=delivered_on,
        responsible=form.responsible.data,
        project_name=project.name_zh,
        funds_yuan=form.funds_yuan.data,
        equipment=form.equipment.data or None,
        equipment_quantity=form.equipment_quantity.data if form.equipment.data else None,
        equipment_unit=form.equipment_unit.data or None,
        measures=form.measures.data,
        effect=form.effect.data,
    )

    def make() -> Made:
        try:
            delivery = record_delivery(
                db.session,
                item,
                elements,
                actor=current_user,
                now=now,
                ip_address=request.remote_addr,
            )
        except ItemClosedError:
            abort(409)
        return Made(delivery.id)

    return submit_once(form, make, _delivered, now=now)


def _delivered(submission: FormSubmission) -> ResponseReturnValue:
    delivery = db.get_or_404(Delivery, submission.record_id)
    flash(_("Delivery recorded. The resident has been asked to rate it."), "success")
    return redirect(url_for("admin.new_delivery", item_id=delivery.plan_item_id))


@bp.post("/plan-items/<int:item_id>/not-delivered")
@roles_required(Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.INSTITUTION)
def item_not_delivered(item_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    item = _item_or_404(item_id, local_today(now))
    form = NotDeliveredForm(prefix="not-delivered")
    first = made_before(form)  # the item is closed now: show the first, not a refusal
    if first is not None:
        return _not_delivered(first)
    if not may_mark_not_delivered(item):
        flash(_("Only a planned item with nothing delivered yet can be marked so."), "info")
        return redirect(url_for("admin.new_delivery", item_id=item.id))
    if not form.validate_on_submit():
        return _page(item, _delivery_form(item, local_today(now)), form, failed=form), 400

    def make() -> Made:
        try:
            record_not_delivered(
                db.session,
                item,
                form.reason.data,
                actor=current_user,
                now=now,
                ip_address=request.remote_addr,
            )
        except ItemClosedError:
            abort(409)
        return Made(item.id)

    return submit_once(form, make, _not_delivered, now=now)


def _not_delivered(submission: FormSubmission) -> ResponseReturnValue:
    flash(_("Marked as not delivered. The resident has been told why."), "success")
    return redirect(url_for("admin.new_delivery", item_id=submission.record_id))


def _page(
    item: PlanItem,
    form: DeliveryForm,
    not_delivered: NotDeliveredForm,
    failed: FlaskForm | None = None,
) -> str:
    """The item, its deliveries so far, and the two forms; `failed` is the one refused."""
    html = render_template(
        "admin/delivery_new.html",
        title=_("Record a delivery"),
        item=item,
        resident=db.session.get(Resident, item.plan.resident_id),
        delivery_form=form,
        not_delivered=not_delivered,
        form=failed,
        takes_deliveries=takes_deliveries(item),
        may_mark_not_delivered=may_mark_not_delivered(item),
    )
    # The audit row after the page is drawn: a commit expires every loaded row, and the
    # template would read the item, its plan and resident again.
    record_read("plan_item.view", item.plan.resident_id, "plan_item", item.id)
    db.session.commit()
    return html
