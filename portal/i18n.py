"""Locale choice (zh-CN by default, English second) and what templates need of it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request
from flask_babel import get_locale
from flask_login import current_user

from portal.extensions import babel
from portal.services import labels
from portal.services.phones import mask_phone

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


def current_locale() -> str:
    """The request's locale as one of our catalogue names ("zh_CN" or "en")."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def localtime(moment: datetime) -> str:
    """A moment as local time, "2026-12-24 17:30" (a fixed pattern in every language, so
    strftime: Babel's formatter costs ~50 µs a call, and a queue page shows hundreds)."""
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")


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
            "locale": locale,
            "html_lang": HTML_LANG.get(locale, "zh-CN"),
            "other_locale": "en" if locale == "zh_CN" else "zh_CN",
            "display_prefs": g.get("display_prefs", {}),
        }
