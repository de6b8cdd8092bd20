"""Error pages in the site's layout, translated, with the help link like every page."""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

TITLES = {
    400: _l("Something in the request was wrong"),
    403: _l("You cannot see this page"),
    404: _l("Page not found"),
    405: _l("Page not found"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts"),
    500: _l("Sorry, something went wrong on our side"),
}


def render_error(code: int) -> ResponseReturnValue:
    title = TITLES.get(code, TITLES[500])
    return render_template("error.html", title=title, code=code), code


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        return render_error(error.code or 500)
