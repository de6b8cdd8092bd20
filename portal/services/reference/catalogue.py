"""The need/service catalogue, held per process: names and domains without a query per row.

Nearly every resident page names catalogue items (a plan's services, a need, a delivery to
rate), and the catalogue changes a few times a year. Each process loads it once (one query)
through `portal.reference_cache` and keeps it until a `NeedItem` changes, so a page names any
number of items from memory instead of lazy-loading `need_item` in a template loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal import reference_cache
from portal.models import NeedItem
from portal.models.base import AnySession

reference_cache.watch(NeedItem)

#: Catalogue kinds a resident can ask for ("status" items only describe a situation).
REQUESTABLE_KINDS = ("need", "both")


@dataclass(frozen=True)
class CatalogueItem:
    """One catalogue entry as plain values (the same reading methods as `NeedItem`)."""

    id: int
    code: str
    domain: str
    domain_zh: str
    domain_en: str
    name_zh: str
    name_en: str
    kind: str
    active: bool

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh

    def domain_name(self, locale: str) -> str:
        return self.domain_en if locale.startswith("en") else self.domain_zh

    @property
    def requestable(self) -> bool:
        return self.active and self.kind in REQUESTABLE_KINDS


@dataclass(frozen=True)
class Catalogue:
    #: Every item in catalogue order (by id), inactive ones included (old plans name them).
    items: tuple[CatalogueItem, ...]
    by_id: dict[int, CatalogueItem]
    by_code: dict[str, CatalogueItem]

    def name(self, item_id: int | None, locale: str) -> str:
        """The item's name in `locale`; empty for no item or an unknown id."""
        item = self.by_id.get(item_id) if item_id is not None else None
        return item.name(locale) if item else ""


def catalogue(session: AnySession) -> Catalogue:
    """The whole catalogue, loaded once per process until an item changes."""
    return reference_cache.cached(session, "catalogue", _load)


def _load(session: AnySession) -> Catalogue:
    rows = session.execute(
        select(
            NeedItem.id,
            NeedItem.code,
            NeedItem.domain,
            NeedItem.domain_zh,
            NeedItem.domain_en,
            NeedItem.name_zh,
            NeedItem.name_en,
            NeedItem.kind,
            NeedItem.active,
        ).order_by(NeedItem.id)
    ).all()
    items = tuple(CatalogueItem(*row) for row in rows)
    return Catalogue(items, {i.id: i for i in items}, {i.code: i for i in items})
