"""Resident-facing journeys, one module each, plus health and language."""

from __future__ import annotations

from flask import Flask

from portal.views import auth, cases, errors, health, home, language, navigation


def register_views(app: Flask) -> None:
    for module in (auth, cases, health, home, language):
        app.register_blueprint(module.bp)
    errors.register(app)
    navigation.init_app(app)
