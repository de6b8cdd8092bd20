"""The staff console (/admin): depends on portal, never the reverse."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, template_folder="templates")


def register(app: Flask) -> None:
    """Import every module that adds pages to `bp` (by name: a missing one fails loudly)."""
    from admin import (  # noqa: F401  (each adds its pages to bp)
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

    app.register_blueprint(bp, url_prefix="/admin")
