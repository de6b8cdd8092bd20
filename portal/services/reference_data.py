"""Reference data every installation needs: the catalogue, SLA policies, the calendar."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal.models import NeedItem
from portal.models.base import AnySession
from portal.services.calendar_admin import seed_years
from portal.services.sla import seed_calendar, seed_policies

CATALOGUE_CSV = Path(__file__).resolve().parent.parent / "data" / "need_items.csv"


def seed_catalogue(session: AnySession, path: Path = CATALOGUE_CSV) -> int:
    """Insert catalogue items that are not there yet (matched by code); returns how many."""
    existing = set(session.scalars(select(NeedItem.code)))
    added = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["code"] in existing:
                continue
            session.add(
                NeedItem(
                    code=row["code"],
                    domain=row["domain"],
                    domain_zh=row["domain_zh"],
                    domain_en=row["domain_en"],
                    name_zh=row["item_zh"],
                    name_en=row["item_en"],
                    kind=row["kind"],
                    source=row["src"][:32],
                    confidence=row["conf"][:1],
                )
            )
            added += 1
    session.flush()
    return added


def seed_reference_data(session: AnySession, today: date) -> dict[str, int]:
    """Catalogue, default SLA policies, and the working-day calendar: 2024 onwards, and at
    least last year to next year (`seed_years`)."""
    years = seed_calendar(session, seed_years(today))
    return {
        "catalogue": seed_catalogue(session),
        "policies": seed_policies(session),
        "calendar_years": len(years),
    }
