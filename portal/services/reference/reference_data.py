"""Reference data every installation needs: the catalogue, SLA policies, the calendar."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from portal.models import CoverageTarget, NeedItem
from portal.models.base import AnySession
from portal.services.sla.calendar_admin import seed_years
from portal.services.sla.sla import seed_calendar, seed_policies

CATALOGUE_CSV = Path(__file__).resolve().parents[2] / "data" / "need_items.csv"
#: The coverage targets of the 量服 plans (domain.md, "Analyse"), each measured by deliveries of
#: the closest catalogue item: (code, need item, name zh, name en, categories, levels,
#: min age, max age, target per cent). Categories: DisabilityCategory values.
COVERAGE_TARGETS: list[
    tuple[str, str, str, str, list[int], list[int], int | None, int | None, str]
] = [
    (
        "blind-om",
        "REHAB.VIS.OM",
        "视力残疾人定向行走训练",
        "Orientation and mobility training for blind residents",
        [1],
        [],
        None,
        None,
        "80",
    ),
    # Hearing aids have no catalogue item of their own: the auditory-verbal training item
    # stands for "hearing aids and speech training"; children are under 18.
    (
        "deaf-children",
        "REHAB.HEAR.AVT",
        "听力残疾儿童助听器适配及言语训练",
        "Hearing aids and speech training for deaf children",
        [2],
        [],
        None,
        17,
        "80",
    ),
    (
        "wheelchair-level-1",
        "ACC.WHEELCHAIR",
        "一级肢体残疾人配备轮椅",
        "Wheelchairs for level-1 physically disabled residents",
        [4],
        [1],
        None,
        None,
        "20",
    ),
    (
        "schooling-7-14",
        "EDU.AID",
        "7至14岁残疾儿童免费就学支持",
        "Free schooling support for disabled children aged 7 to 14",
        [],
        [],
        7,
        14,
        "100",
    ),
    (
        "psychosocial-medication",
        "REHAB.MENT.MED",
        "精神残疾人药物治疗",
        "Medication for residents with psychosocial disabilities",
        [6],
        [],
        None,
        None,
        "90",
    ),
]


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


def seed_coverage_targets(session: AnySession) -> int:
    """Insert the coverage targets not there yet (matched by code); returns how many."""
    existing = set(session.scalars(select(CoverageTarget.code)))
    items = {item.code: item.id for item in session.scalars(select(NeedItem))}
    added = 0
    for code, item, name_zh, name_en, categories, levels, low, high, percent in COVERAGE_TARGETS:
        if code in existing or item not in items:
            continue
        session.add(
            CoverageTarget(
                code=code,
                need_item_id=items[item],
                name_zh=name_zh,
                name_en=name_en,
                categories=categories,
                levels=levels,
                min_age=low,
                max_age=high,
                target_percent=Decimal(percent),
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
        "coverage_targets": seed_coverage_targets(session),
    }
