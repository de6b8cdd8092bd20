"""Resident-facing journeys, one module each, plus health and language.

`register_views` imports each module by name and registers its blueprint; a module that adds
routes to another's blueprint (`password` to `settings`, `two_factor` to the sign-in pages') is
imported there too, so a missing one stops the app from starting.
"""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    from portal.views import (
        acting,
        auth,  # noqa: F401  (its routes are on sign_in_steps.bp, the "auth" blueprint)
        cases,
        directory,
        errors,
        health,
        home,
        language,
        navigation,
        needs,
        open311,
        password,  # noqa: F401  (its routes are on settings.bp)
        plan,
        ratings,
        record,
        service_card,
        settings,
        sign_in_steps,
        timeout,
        two_factor,  # noqa: F401  (its routes are on sign_in_steps.bp, the "auth" blueprint)
    )

    for module in (
        acting,
        sign_in_steps,
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
        open311,  # the hotline API (JSON, API keys)
    ):
        app.register_blueprint(module.bp)
    errors.register(app)
    navigation.init_app(app)
    settings.init_app(app)
    timeout.init_app(app)
