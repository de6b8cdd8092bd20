"""Resident-facing journeys, one module each, plus health and language."""

from __future__ import annotations

from flask import Flask

from portal.views import (
    acting,
    auth,
    cases,
    directory,
    errors,
    health,
    home,
    language,
    navigation,
    needs,
    plan,
    ratings,
    record,
    service_card,
    settings,
    timeout,
)


def register_views(app: Flask) -> None:
    for module in (
        acting,
        auth,
        cases,
        directory,
        health,
        home,
        language,
        needs,
        plan,
        record,
        ratings,
        service_card,
        settings,
    ):
        app.register_blueprint(module.bp)
    from portal.views import open311  # the hotline API (JSON, API keys)

    app.register_blueprint(open311.bp)
    errors.register(app)
    navigation.init_app(app)
    settings.init_app(app)
    timeout.init_app(app)
