"""Wenxu (问需): the application factory. Wiring only: no I/O, no migrations."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from portal.config import BaseConfig, config_from_env


def create_app(config: BaseConfig | dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    _load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    return app


def _load_config(app: Flask, config: BaseConfig | dict[str, Any] | None) -> None:
    base = config if isinstance(config, BaseConfig) else config_from_env()
    app.config.from_object(base)
    app.config["CONFIG_OBJECT"] = base
    if isinstance(config, dict):
        app.config.update(config)
    problems = base.problems()
    if problems:
        raise RuntimeError("unsafe configuration: " + "; ".join(problems))
    logging.getLogger("portal").setLevel(app.config["LOG_LEVEL"])


def register_extensions(app: Flask) -> None:
    from portal import (
        auth,
        compression,
        i18n,
        postgres,  # noqa: F401  (connection settings)
        proxy,
        reference_cache,
        security_headers,
        sqlite,  # noqa: F401  (connection settings)
        static_files,
    )
    from portal.clients import job_queue as queue
    from portal.clients import providers
    from portal.extensions import csrf, db, limiter, migrate
    from portal.services.people import crypto

    proxy.init_app(app)
    security_headers.init_app(app)
    compression.init_app(app)
    static_files.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config["PROJECT_ROOT"] / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    crypto.init_app(app)
    queue.init_app(app)
    providers.init_app(app)
    reference_cache.configure(app.config["REFERENCE_CHECK_SECONDS"])


def register_blueprints(app: Flask) -> None:
    import admin
    from portal import webhooks
    from portal.views import catalogue_names, register_views

    register_views(app)
    catalogue_names.init_app(app)
    admin.register(app)
    webhooks.init_app(app)


def register_cli(app: Flask) -> None:
    from portal.cli import register_commands

    register_commands(app)
