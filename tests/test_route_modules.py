"""Every module that adds routes is imported, by name, when the app is made.

Blueprints are registered one way (docs/architecture.md): the package's register function
imports each module that adds routes, so a module that is renamed or missing stops the app from
starting instead of silently losing its pages. This checks the other half: no module with
routes is left out of those imports. It runs in a fresh interpreter, where nothing else has
imported the modules first.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUTE = re.compile(r"^@\w+(\.bp)?\.(route|get|post)\(", re.M)
PACKAGES = ("portal/views", "portal/webhooks", "admin")


def _modules_with_routes() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).glob("*.py"):
            if ROUTE.search(path.read_text(encoding="utf-8")):
                found.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def test_every_module_with_routes_is_imported_when_the_app_is_made():
    with_routes = _modules_with_routes()
    assert {"portal.views.password", "portal.views.two_factor", "admin.plans"} <= with_routes
    script = "import sys; from portal import create_app; create_app(); print(*sorted(sys.modules))"
    imported = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(with_routes - set(imported)) == []
