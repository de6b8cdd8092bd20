"""The staff console (/admin): depends on portal, never the reverse."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from admin import (  # noqa: E402,F401  (views register on bp)
    api_keys,
    audit_log,
    calendar,
    call_backs,
    case_page,
    cases,
    coverage,
    dashboard,
    deliveries,
    imports,
    institutions,
    message_preview,
    outbox,
    plans,
    residents,
    service_card,
    sla_policies,
    staff,
    supervision,
    survey,
)
