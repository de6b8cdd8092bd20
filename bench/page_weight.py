"""Compressed size of each resident page, as a phone on a slow network would fetch it.

    .venv/bin/python bench/page_weight.py

Builds a throw-away SQLite database with the demo data, signs in as the demo resident and
prints, for every resident page, the HTML's gzip size plus the CSS and JavaScript it loads
(counted once: a browser caches them). The goal is at most 30 KB a page with no third-party
assets; pages over it are marked. Prints figures, asserts nothing.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from portal import create_app  # noqa: E402
from portal.config import TestingConfig  # noqa: E402
from portal.demo import seed_demo  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Case, CaseType, Delivery, Plan, PlanItem, User  # noqa: E402

LIMIT = 30 * 1024
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
EXTERNAL = re.compile(r'(?:href|src)="(?:https?:)?//')


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(TestingConfig({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'w.db'}"}))
        with app.app_context():
            upgrade()
            seed_demo(db.session, now=datetime.now(UTC), residents=60)
            db.session.commit()
            user = db.session.scalar(select(User).where(User.phone == "+8613800000001"))
            case = db.session.scalar(
                select(Case).where(Case.resident_id == user.resident_id, Case.type != CaseType.NEED)
            )
            need = db.session.scalar(
                select(Case).where(Case.resident_id == user.resident_id, Case.type == CaseType.NEED)
            )
            own_items = (
                select(PlanItem)
                .join(Plan, PlanItem.plan_id == Plan.id)
                .where(Plan.resident_id == user.resident_id)
            )
            item = db.session.scalar(own_items.limit(1))
            delivery = db.session.scalar(
                select(Delivery).where(
                    Delivery.plan_item_id.in_(own_items.with_only_columns(PlanItem.id))
                )
            )
            login = user.get_id()
        urls = [
            "/",
            "/plan",
            "/plan/rating",
            "/record",
            "/record/correction",
            "/needs",
            "/needs/catalogue",
            "/needs/new",
            "/cases",
            "/cases/new",
            "/services",
            "/settings",
            "/acting-for-me",
        ]
        urls += [f"/cases/{case.id}"] if case else []
        urls += [f"/needs/{need.id}"] if need else []
        urls += [f"/plan/items/{item.id}/correction"] if item else []
        urls += [f"/plan/deliveries/{delivery.id}/rating"] if delivery else []
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = login
        assets: dict[str, int] = {}
        print(f"{'page':45} {'html gz':>8} {'+assets':>8}")  # noqa: T201
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                print(f"{url:45} answered {response.status_code}")  # noqa: T201
                continue
            html = response.get_data()
            external = bool(EXTERNAL.search(html.decode()))
            for path in ASSET.findall(html.decode()):
                if path not in assets:
                    assets[path] = len(gzip.compress(client.get(path).get_data()))
            total = len(gzip.compress(html)) + sum(assets.values())
            flag = " OVER" if total > LIMIT else ""
            flag += " THIRD-PARTY" if external else ""
            print(f"{url:45} {len(gzip.compress(html)):8d} {total:8d}{flag}")  # noqa: T201
        print("assets:", ", ".join(f"{p} {n} B" for p, n in assets.items()))  # noqa: T201


if __name__ == "__main__":
    main()
