"""Staff accounts (administrators only): list, create, re-scope, deactivate, reset 2FA."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from admin import bp
from admin.area_picker import area_choices, chosen_area
from portal.auth import hash_password, roles_required
from portal.extensions import db
from portal.forms import BaseForm, MaxChars, PlainText, strip_text, whole_number
from portal.models import STAFF_ROLES, Area, Institution, Role, User
from portal.phones import PhoneError, validate_phone
from portal.services.accounts import staff_accounts as accounts
from portal.services.accounts import two_factor
from portal.services.reference.area_tree import area_tree
from portal.services.reference.labels import ACCOUNT_ROLES, current_locale

PAGE_SIZE = 50


def _phone(form: FlaskForm, field: StringField) -> None:
    try:
        field.e164 = validate_phone(field.data or "")
    except PhoneError as error:
        raise ValidationError(error.message) from None


def _int_or_none(value: object) -> int | None:
    return whole_number(value)


def _role_field() -> SelectField:
    return SelectField(
        _l("Role"), validate_choice=False, validators=[DataRequired(_l("Choose a role"))]
    )


def _area_field() -> SelectField:
    return SelectField(
        _l("Area"),
        validate_choice=False,
        description=_l(
            "Village workers: a village. Township officers: a township. County staff and "
            "supervisors: the county. Not needed for institutions and administrators."
        ),
    )


def _institution_field() -> SelectField:
    return SelectField(
        _l("Institution"),
        validate_choice=False,
        description=_l("Only for service institution accounts."),
    )


class ScopeForm(BaseForm):
    role = _role_field()
    area = _area_field()
    institution = _institution_field()


class StaffForm(BaseForm):
    name = StringField(
        _l("Full name"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the person's full name")), PlainText(), MaxChars(100)],
    )
    phone = StringField(
        _l("Mobile phone number"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the person's mobile phone number")), _phone],
    )
    role = _role_field()
    area = _area_field()
    institution = _institution_field()
    password = PasswordField(
        _l("First password"),
        description=_l(
            "At least 12 characters; a few words in a row are easy to remember. Tell it to the "
            "person privately: they can sign in with it or with a code by text message."
        ),
        validators=[DataRequired(_l("Enter a first password"))],
    )

    def validate_password(self, field: PasswordField) -> None:
        phone = getattr(self.phone, "e164", None)
        problem = accounts.password_problem(field.data or "", phone)
        if problem is not None:
            raise ValidationError(problem)


class StaffFilterForm(BaseForm):
    """GET filters: no CSRF token, unknown values ignored."""

    class Meta:
        csrf = False

    role = SelectField(_l("Role"), validate_choice=False)
    area = SelectField(_l("Area"), validate_choice=False)


def _areas() -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.valid_to.is_(None)).order_by(Area.code)))


def _institutions() -> list[Institution]:
    return list(
        db.session.scalars(select(Institution).where(Institution.active).order_by(Institution.id))
    )


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, ACCOUNT_ROLES[r.value]) for r in accounts.STAFF_ROLE_ORDER]


def _fill_choices(form: ScopeForm | StaffForm) -> None:
    locale = current_locale()
    form.role.choices = [SelectChoice("", _("Choose a role"))] + _role_choices()
    form.area.choices = [SelectChoice("", _("No area"))] + [
        SelectChoice(str(a.id), f"{a.name(locale)} ({a.code})") for a in _areas()
    ]
    form.institution.choices = [SelectChoice("", _("No institution"))] + [
        SelectChoice(str(i.id), i.name(locale)) for i in _institutions()
    ]


def _role(value: str | None) -> Role | None:
    try:
        role = Role(value or "")
    except ValueError:
        return None
    return role if role in STAFF_ROLES else None


def _actor() -> accounts.Actor:
    return accounts.Actor(current_user.id, request.remote_addr)


def _staff_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role not in STAFF_ROLES:
        abort(404)
    return user


@bp.get("/staff")
@roles_required()
def staff() -> ResponseReturnValue:
    """Every staff account, filtered by role and area, 50 to a page."""
    locale = current_locale()
    tree = area_tree(db.session)
    form = StaffFilterForm(request.args)
    form.role.choices = [SelectChoice("", _("All"))] + _role_choices()
    area_id = chosen_area(form.area.data, tree, current_user)
    form.area.choices = area_choices(tree, current_user, area_id, locale)
    query = accounts.staff_list(db.session, _role(form.role.data), area_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(_int_or_none(request.args.get("page")) or 1, 1), pages)
    # Institutions joined to the page, areas named from the tree: no query per row.
    users = db.session.scalars(
        query.options(joinedload(User.institution))
        .order_by(User.name, User.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/staff/index.html",
        title=_("Staff accounts"),
        form=form,
        users=users,
        areas=tree.nodes,
        total=total,
        page=page,
        pages=pages,
        previous_url=url_for("admin.staff", **args, page=page - 1) if page > 1 else None,
        next_url=url_for("admin.staff", **args, page=page + 1) if page < pages else None,
        role_label=lambda role: ACCOUNT_ROLES[str(role)],
        two_factor_roles=two_factor.TWO_FACTOR_ROLES,
    )


def _apply_scope_error(form: ScopeForm | StaffForm, error: accounts.ScopeError) -> None:
    getattr(form, error.field).errors = [str(error.message)]


@bp.route("/staff/new", methods=["GET", "POST"])
@roles_required()
def staff_new() -> ResponseReturnValue:
    form = StaffForm()
    _fill_choices(form)
    if form.validate_on_submit():
        role = _role(form.role.data)
        if accounts.phone_taken(db.session, form.phone.e164):
            form.phone.errors = [_("There is already an account with this phone number")]
        elif role is None:
            form.role.errors = [_("Choose a role")]
        else:
            try:
                user = accounts.create_staff(
                    db.session,
                    name=form.name.data,
                    phone=form.phone.e164,
                    role=role,
                    area_id=_int_or_none(form.area.data),
                    institution_id=_int_or_none(form.institution.data),
                    password_hash=hash_password(form.password.data),
                    language=current_locale(),
                    actor=_actor(),
                    now=datetime.now(UTC),
                )
            except accounts.ScopeError as error:
                db.session.rollback()
                _fill_choices(form)
                _apply_scope_error(form, error)
            else:
                db.session.commit()
                flash(_("The account for %(name)s is ready.", name=user.name), "success")
                return redirect(url_for("admin.staff_account", user_id=user.id))
    return render_template(
        "admin/staff/new.html",
        title=_("New staff account"),
        form=form,
    )


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@roles_required()
def staff_account(user_id: int) -> ResponseReturnValue:
    """One account: change its role and scope; deactivate, reactivate, reset 2FA."""
    user = _staff_or_404(user_id)
    form = ScopeForm(
        data={
            "role": user.role.value,
            "area": str(user.area_id or ""),
            "institution": str(user.institution_id or ""),
        }
        if request.method == "GET"
        else None
    )
    _fill_choices(form)
    if form.validate_on_submit():
        role = _role(form.role.data)
        if user.id == current_user.id and role is not user.role:
            form.role.errors = [_("You cannot change your own role")]
        elif role is None:
            form.role.errors = [_("Choose a role")]
        else:
            try:
                changed = accounts.update_scope(
                    db.session,
                    user,
                    role=role,
                    area_id=_int_or_none(form.area.data),
                    institution_id=_int_or_none(form.institution.data),
                    actor=_actor(),
                    now=datetime.now(UTC),
                )
            except accounts.ScopeError as error:
                db.session.rollback()
                _fill_choices(form)
                _apply_scope_error(form, error)
            else:
                db.session.commit()
                flash(
                    _("The changes are saved.") if changed else _("Nothing was changed."),
                    "success",
                )
                return redirect(url_for("admin.staff_account", user_id=user.id))
    return render_template(
        "admin/staff/account.html",
        title=_("Staff account: %(name)s", name=user.name),
        form=form,
        user=user,
        is_self=user.id == current_user.id,
        role_label=lambda role: ACCOUNT_ROLES[str(role)],
        needs_two_factor=two_factor.needs_second_factor(user),
        two_factor_set_up=two_factor.is_set_up(user),
    )


@bp.post("/staff/<int:user_id>/deactivate")
@roles_required()
def staff_deactivate(user_id: int) -> ResponseReturnValue:
    user = _staff_or_404(user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "info")
    else:
        accounts.deactivate(db.session, user, actor=_actor(), now=datetime.now(UTC))
        db.session.commit()
        flash(_("%(name)s can no longer sign in.", name=user.name), "success")
    return redirect(url_for("admin.staff_account", user_id=user.id))


@bp.post("/staff/<int:user_id>/reactivate")
@roles_required()
def staff_reactivate(user_id: int) -> ResponseReturnValue:
    user = _staff_or_404(user_id)
    accounts.reactivate(db.session, user, actor=_actor(), now=datetime.now(UTC))
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=user.name), "success")
    return redirect(url_for("admin.staff_account", user_id=user.id))


@bp.post("/staff/<int:user_id>/reset-two-factor")
@roles_required()
def staff_reset_two_factor(user_id: int) -> ResponseReturnValue:
    user = _staff_or_404(user_id)
    if user.id == current_user.id:
        flash(_("Ask another administrator to reset your own second factor."), "info")
    else:
        accounts.reset_second_factor(db.session, user, actor=_actor(), now=datetime.now(UTC))
        db.session.commit()
        flash(
            _(
                "%(name)s will set up their authenticator app again at the next sign-in.",
                name=user.name,
            ),
            "success",
        )
    return redirect(url_for("admin.staff_account", user_id=user.id))
