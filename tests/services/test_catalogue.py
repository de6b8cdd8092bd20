"""The catalogue held per process: one query, plain values, dropped when an item changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import NeedItem
from portal.services.cases.needs import requestable_items
from portal.services.reference.catalogue import CatalogueItem, catalogue
from tests.query_count import count_queries

pytestmark = pytest.mark.usefixtures("app")


def test_the_catalogue_is_loaded_once_then_read_from_memory() -> None:
    with count_queries() as first:
        loaded = catalogue(db.session)
    with count_queries() as again:
        assert catalogue(db.session) is loaded
        requestable_items(db.session, "轮椅")
    # (The first read in a process may also ask for the reference version.)
    assert sum("FROM need_item" in statement for statement in first.statements) == 1
    assert again.count == 0


def test_it_holds_plain_values_not_rows_of_a_session() -> None:
    items = catalogue(db.session).items
    assert items and all(type(item) is CatalogueItem for item in items)
    assert [item.id for item in items] == sorted(item.id for item in items)
    row = db.session.scalars(select(NeedItem).order_by(NeedItem.id)).first()
    assert row is not None
    cached = catalogue(db.session).by_id[row.id]
    assert (cached.code, cached.name("en"), cached.name("zh_CN")) == (
        row.code,
        row.name_en,
        row.name_zh,
    )
    assert catalogue(db.session).name(None, "en") == ""


def test_a_committed_change_to_an_item_is_seen_at_once() -> None:
    row = db.session.scalars(select(NeedItem).order_by(NeedItem.id)).first()
    assert row is not None
    old_name = row.name_en
    assert catalogue(db.session).name(row.id, "en") == old_name
    row.name_en = "A renamed service"
    db.session.commit()
    try:
        assert catalogue(db.session).name(row.id, "en") == "A renamed service"
    finally:
        row.name_en = old_name  # the catalogue is reference data kept between tests
        db.session.commit()
    assert catalogue(db.session).name(row.id, "en") == old_name


def test_search_matches_either_language_ignoring_case() -> None:
    every = requestable_items(db.session)
    assert every and all(item.requestable for item in every)
    sample = every[0]
    by_english = requestable_items(db.session, sample.name_en.upper()[:6])
    by_chinese = requestable_items(db.session, sample.name_zh[:2])
    assert sample in by_english and sample in by_chinese
    assert requestable_items(db.session, "no such service anywhere") == []
