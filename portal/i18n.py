"""Locale choice (zh-CN by default, English second) and what templates need of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.support import NullTranslations
from flask import Flask, current_app, g, request
from flask_babel import get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from portal.extensions import babel
from portal.phones import mask_phone
from portal.services.reference import labels
from portal.services.reference.labels import current_locale

LOCALE_COOKIE = "wenxu_lang"
#: Babel locale → BCP 47 tag for `<html lang>`.
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def select_locale() -> str:
    """The locale chosen by cookie, then account, then browser; Chinese when nothing says."""
    supported = list(HTML_LANG)
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in supported:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in supported:
        return str(current_user.language)
    return request.accept_languages.best_match(supported) or "zh_CN"


def localtime(moment: datetime) -> str:
    """A moment as local time, "2026-12-24 17:30" (a fixed pattern in every language, so
    strftime: Babel's formatter costs ~50 µs a call, and a queue page shows hundreds)."""
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")


def template_gettext(translations: NullTranslations) -> dict[str, Callable[..., str]]:
    """`_`, `gettext` and `ngettext` for one rendering, bound to the catalogue it is in.

    They format exactly as the ones Flask-Babel installs in Jinja (newstyle: the text is Markup
    when autoescaping, and always `%`-formatted with the keyword arguments), and those stay as
    the environment's globals, used where a rendering's context is not passed on (macros
    imported without context). The difference is the cost: each of those calls goes through
    three `Context.call`s and asks Flask-Babel for the catalogue, which looks the request up
    through `g` nine times and names the locale: ~25 µs a call against ~5, and the home page
    makes ~45. Bound once per rendering (the context processor below runs for every
    `render_template`), they follow `force_locale` as Flask-Babel's do.
    """
    ugettext = translations.ugettext
    ungettext = translations.ungettext

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
        text = ugettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - the catalogue's text, as Jinja's newstyle marks it
        return text % variables

    @pass_eval_context
    def ngettext(
        eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        text = ungettext(singular, plural, num)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - the catalogue's text, as Jinja's newstyle marks it
        return text % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals.update(
        case_type_label=lambda value: labels.CASE_TYPES[str(value)],
        case_status_label=lambda value: labels.CASE_STATUSES[str(value)],
        event_label=lambda value: labels.EVENT_KINDS[str(value)],
        notification_status_label=lambda value: labels.NOTIFICATION_STATUSES[str(value)],
        channel_label=lambda value: labels.CHANNELS[str(value)],
        mask_phone=mask_phone,
        relationship_label=lambda value: labels.RELATIONSHIPS[str(value)],
        guardian_kind_label=lambda value: labels.GUARDIAN_KINDS[str(value)],
        guardian_scope_label=lambda value: labels.GUARDIAN_SCOPES[str(value)],
        skip_reason_label=lambda value: labels.SKIP_REASONS.get(str(value), value),
    )

    @app.context_processor
    def inject_locale() -> dict[str, object]:
        locale = current_locale()
        return {
            **template_gettext(get_translations()),
            "locale": locale,
            "html_lang": HTML_LANG.get(locale, "zh-CN"),
            "other_locale": "en" if locale == "zh_CN" else "zh_CN",
            "display_prefs": g.get("display_prefs", {}),
        }
