"""Switching language: a POST (no side effects on GET) that sets a cookie and returns."""

from __future__ import annotations

from flask import Blueprint, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.extensions import db
from portal.i18n import HTML_LANG, LOCALE_COOKIE
from portal.views.safety import safe_next

bp = Blueprint("language", __name__)
ONE_YEAR = 365 * 24 * 3600


@bp.post("/language")
def switch() -> ResponseReturnValue:
    chosen = request.form.get("locale", "")
    response = redirect(safe_next(request.form.get("next")))
    if chosen in HTML_LANG:
        response.set_cookie(LOCALE_COOKIE, chosen, max_age=ONE_YEAR, samesite="Lax", httponly=True)
        if current_user.is_authenticated:
            current_user.language = chosen
            db.session.commit()
    return response
