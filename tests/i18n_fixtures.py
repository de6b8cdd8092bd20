"""Compiled catalogues for the test session.

Flask-Babel reads .mo files, which are built, not committed, and it caches a locale's
translations the first time a page uses them: compile before the app renders anything.
Registered in tests/conftest.py with `pytest_plugins = ["tests.i18n_fixtures"]`.
"""

from __future__ import annotations

import pytest

from portal.cli.catalogues import compile_catalogues
from portal.config import PROJECT_ROOT


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile translations/*/LC_MESSAGES/messages.mo once (atomic, safe under xdist)."""
    compile_catalogues(PROJECT_ROOT)
