"""Fixtures: one app per test session on a schema built by the migrations.

TEST_DATABASE_URL selects PostgreSQL (CI's second pass); otherwise a SQLite file. TEST_REDIS_URL
selects a real Redis for the RQ tests; otherwise fakeredis.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import URL, create_engine, make_url, text

from portal import create_app, reference_cache
from portal.config import TestingConfig
from portal.extensions import db, limiter
from portal.models import Base
from portal.services.reference.reference_data import seed_reference_data
from tests.html import ClientRequest

pytest_plugins = ["tests.i18n_fixtures"]

REFERENCE_TABLES = {"need_item", "sla_policy", "calendar_day", "calendar_year", "alembic_version"}


#: Set by pytest-xdist in each worker ("gw0", "gw1", ...); absent in a plain run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def database_url(tmp_dir: Path) -> str:
    """The session's database: SQLite in a temp dir, or TEST_DATABASE_URL (one per worker)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_dir / 'test.db'}"
    if not WORKER:
        return url
    return _fresh_worker_database(make_url(url))


def _fresh_worker_database(url: URL) -> str:
    """A database of this worker's own beside TEST_DATABASE_URL's, created empty."""
    name = f"{url.database}_{WORKER}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def redis_url() -> str | None:
    """TEST_REDIS_URL, with a database number of each xdist worker's own."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url or not WORKER:
        return url
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number or 0) + int(WORKER.removeprefix('gw'))}"


def build_app(url: str, **overrides: Any) -> Flask:
    config = TestingConfig({"DATABASE_URL": url})
    app = create_app(config)
    app.config.update(overrides)
    return app


@pytest.fixture(scope="session")
def app(compiled_translations: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = database_url(tmp_path_factory.mktemp("db"))
    app = build_app(url)
    with app.app_context():
        _drop_everything()
        upgrade()
        from datetime import date

        seed_reference_data(db.session, date.today())
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    if WORKER and os.environ.get("TEST_DATABASE_URL"):
        _drop_database(make_url(url))


def _drop_database(url: URL) -> None:
    """Remove a worker's own PostgreSQL database at the end of the session."""
    maintenance = url.set(database="postgres")
    engine = create_engine(maintenance, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    engine.dispose()


def _drop_everything() -> None:
    with db.engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _app_context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app runs in its context and leaves no rows behind."""
    if "app" not in request.fixturenames:
        yield
        return
    flask_app: Flask = request.getfixturevalue("app")
    with flask_app.app_context():
        # Rate limits are on in tests. The limiter is one object for every app: a test that
        # built its own app (a private Redis, the fault stack) left it on that app's storage.
        # Bound again to the session app's, each test starts with empty counters of its own.
        limiter.init_app(flask_app)
        yield
        db.session.rollback()
        db.session.remove()
        _delete_rows()


def _delete_rows() -> None:
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                connection.execute(table.delete())
    reference_cache.clear()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def client_request(app: Flask) -> ClientRequest:
    return ClientRequest(app.test_client())
