"""Error pages in the site's layout, translated, with the help link like every page.

The layout reads the database (the signed-in user, the menu, the locale chosen in the
account). When it cannot be drawn, because the database is down or the error came from it,
a plain page that needs no database stands in: same language, skip link, help link. The
handler never raises, so nobody is shown Werkzeug's bare English page.

`register` also installs the guard that answers a NUL in an address with a 400
(portal.input_guard): input that would otherwise have made a 500.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from portal import input_guard
from portal.extensions import db
from portal.i18n import HTML_LANG, LOCALE_COOKIE

log = logging.getLogger(__name__)

TITLES = {
    400: _l("Something in the request was wrong"),
    403: _l("You cannot see this page"),
    404: _l("Page not found"),
    405: _l("Page not found"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts"),
    500: _l("Sorry, something went wrong on our side"),
}

#: The page of last resort, when even the plain template fails: both languages, no Babel.
LAST_RESORT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>抱歉，我们这边出了问题 – 问需</title></head>
<body><a class="skip-link" href="#main">跳到主要内容</a>
<main id="main" tabindex="-1"><h1>抱歉，我们这边出了问题</h1>
<p lang="en">Sorry, something went wrong on our side.</p>
<p><a href="/">返回首页</a> · <a href="/" lang="en">Home page</a></p></main>
<footer id="help"><p>获取帮助 <span lang="en">(Get help)</span>:
<a href="tel:12385">12385</a></p></footer>
</body></html>"""


def render_error(code: int, message: str | None = None) -> ResponseReturnValue:
    """The error page for `code` (with `message`, already translated, if given). Never raises."""
    if code >= 500:
        _roll_back()  # a failed statement leaves PostgreSQL's transaction unusable
    title = TITLES.get(code, TITLES[500])
    try:
        return render_template("error.html", title=title, code=code, message=message), code
    except Exception:
        log.exception("the error page could not use the layout", extra={"status": code})
    return _plain_page(code, message)


def _plain_page(code: int, message: str | None) -> ResponseReturnValue:
    """The error page without the layout: no user, no menu, no database."""
    try:
        locale = _locale_without_database()
        with force_locale(locale):
            html = current_app.jinja_env.get_template("error_plain.html").render(
                title=TITLES.get(code, TITLES[500]),
                message=message,
                html_lang=HTML_LANG[locale],
            )
        return html, code
    except Exception:
        log.exception("the plain error page failed too", extra={"status": code})
    return Response(LAST_RESORT, code, mimetype="text/html")


def _locale_without_database() -> str:
    """The locale from the cookie or the browser (the account's choice needs the database)."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in HTML_LANG:
        return chosen
    return request.accept_languages.best_match(list(HTML_LANG)) or "zh_CN"


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:
        log.exception("could not roll back after an error")


def register(app: Flask) -> None:
    input_guard.init_app(app)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        message = error.description if isinstance(error, input_guard.InputRefused) else None
        return render_error(error.code or 500, message)
