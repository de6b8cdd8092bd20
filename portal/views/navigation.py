"""The site navigation: one list per audience, rendered by the base layout.

Entries whose endpoint does not exist (yet) are left out, so a journey appears in the menu as
soon as its blueprint is registered.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from flask_login import current_user

from portal.extensions import db
from portal.services.outbound.call_back_tasks import open_count

RESIDENT_NAV: list[tuple[str, LazyString]] = [
    ("home.index", _l("Home")),
    ("plan.show", _l("My plan")),
    ("needs.index", _l("My needs")),
    ("cases.index", _l("My requests")),
    ("directory.index", _l("Services")),
    ("settings.edit", _l("Settings")),
]


def _call_backs_label() -> str:
    """The call-back menu entry with how many tasks wait, so nobody has to open it to know."""
    waiting = open_count(db.session, current_user)
    if not waiting:
        return _("Call-backs")
    return ngettext("Call-backs (%(num)d waiting)", "Call-backs (%(num)d waiting)", waiting)


STAFF_NAV: list[tuple[str, LazyString]] = [
    ("admin.queue", _l("Cases")),
    ("admin.call_backs", LazyString(_call_backs_label)),
    ("admin.residents", _l("Residents")),
    ("admin.outbox", _l("Outbox")),
    ("admin.message_preview", _l("Messages")),
    ("admin.sla_policies", _l("Deadlines")),
    ("admin.calendar", _l("Calendar")),
    ("admin.dashboard", _l("Dashboard")),
    ("admin.supervision", _l("Supervision")),
    ("admin.coverage", _l("Coverage")),
    ("admin.imports", _l("Import surveys")),
    ("admin.institutions", _l("Institutions")),
    ("admin.staff", _l("Staff accounts")),
    ("admin.audit_log", _l("Audit log")),
    ("admin.api_key_list", _l("API keys")),
    ("settings.password", _l("Change password")),
]


def menu() -> list[tuple[str, LazyString, bool]]:
    """(endpoint, label, is current page) for the signed-in person's menu."""
    if not current_user.is_authenticated:
        return []
    entries = STAFF_NAV if current_user.is_staff else RESIDENT_NAV
    return [
        (endpoint, label, request.endpoint == endpoint)
        for endpoint, label in entries
        if endpoint in current_app.view_functions and _may_open(endpoint)
    ]


def _may_open(endpoint: str) -> bool:
    """Whether the signed-in user's role passes the view's `roles_required` (if any)."""
    roles = getattr(current_app.view_functions[endpoint], "roles", None)
    return roles is None or current_user.role in roles


def init_app(app: Flask) -> None:
    from portal.views.acting import banner

    app.jinja_env.globals["site_menu"] = menu
    app.jinja_env.globals["acting_banner"] = banner
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
