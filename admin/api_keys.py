"""API keys for Open311 (administrators only): list, create (shown once), revoke.

A new key is kept in the session only until the page that shows it has been opened once; the
database holds its keyed hash and its first characters. The logic is in
`portal.services.accounts.api_keys`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from admin import bp
from portal.auth import roles_required
from portal.extensions import db
from portal.forms import BaseForm, MaxChars, PlainText, strip_text, whole_number
from portal.models import ApiKey, Area, AreaLevel
from portal.services.accounts import api_keys
from portal.services.people.access import areas_for
from portal.services.reference.labels import current_locale

NEW_KEY = "new_api_key"  # session entry holding a new key until it has been shown once


class KeyForm(BaseForm):
    name = StringField(
        _l("Name of the system"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter a name for the system that will use the key")),
            MaxChars(api_keys.NAME_LENGTH),
            PlainText(),
        ],
    )
    area = SelectField(_l("Area"), validate_choice=False)

    def validate_area(self, field: SelectField) -> None:
        area_id = whole_number(field.data)
        if area_id is None or _area(area_id) is None:
            raise ValidationError(_l("Choose the area whose cases the system may file and read"))


def _choosable_areas() -> list[Area]:
    """Areas a key can cover: any level above the village (a hotline serves a whole area)."""
    query = areas_for(db.session, current_user).where(Area.level != AreaLevel.VILLAGE)
    return list(db.session.scalars(query.order_by(Area.code)))


def _area(area_id: int) -> Area | None:
    return next((a for a in _choosable_areas() if a.id == area_id), None)


@bp.get("/api-keys")
@roles_required()
def api_key_list() -> ResponseReturnValue:
    keys = db.session.scalars(api_keys.key_list()).all()
    return render_template(
        "admin/api_keys.html", title=_("API keys for hotline systems"), keys=keys
    )


@bp.route("/api-keys/new", methods=["GET", "POST"])
@roles_required()
def api_key_new() -> ResponseReturnValue:
    form = KeyForm()
    locale = current_locale()
    form.area.choices = [SelectChoice("", _("Choose an area"))] + [
        SelectChoice(str(a.id), f"{a.name(locale)} ({a.code})") for a in _choosable_areas()
    ]
    if form.validate_on_submit():
        area = _area(int(form.area.data))
        if area is None:  # validate_area checked it; only a race could get here
            abort(400)
        new = api_keys.create_key(
            db.session,
            name=form.name.data,
            area=area,
            actor_id=current_user.id,
            now=datetime.now(UTC),
            ip_address=request.remote_addr,
        )
        db.session.commit()
        session[NEW_KEY] = {"id": new.row.id, "secret": new.secret}
        return redirect(url_for("admin.api_key_created"))
    return render_template("admin/api_key_new.html", title=_("New API key"), form=form)


@bp.get("/api-keys/created")
@roles_required()
def api_key_created() -> ResponseReturnValue:
    """The new key, once: the session forgets it as this page is built."""
    shown = session.pop(NEW_KEY, None)
    key = db.session.get(ApiKey, shown["id"]) if isinstance(shown, dict) else None
    response = make_response(
        render_template(
            "admin/api_key_created.html",
            title=_("Your new API key") if key else _("The key is no longer shown"),
            key=key,
            secret=shown["secret"] if key else None,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api-keys/<int:key_id>/revoke")
@roles_required()
def api_key_revoke(key_id: int) -> ResponseReturnValue:
    key = db.session.scalar(select(ApiKey).where(ApiKey.id == key_id))
    if key is None:
        abort(404)
    if api_keys.revoke_key(
        db.session,
        key,
        actor_id=current_user.id,
        now=datetime.now(UTC),
        ip_address=request.remote_addr,
    ):
        flash(
            _(
                "The key for %(name)s is revoked: calls with it are refused from now on.",
                name=key.name,
            ),
            "success",
        )
    db.session.commit()
    return redirect(url_for("admin.api_key_list"))
