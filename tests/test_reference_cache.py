"""The per-process reference cache: kept between reads, dropped when the data changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from portal import reference_cache
from portal.extensions import db
from portal.models import Area, ReferenceVersion
from portal.models.base import AnySession
from tests.factories import create_area

pytestmark = pytest.mark.usefixtures("app")


def _codes(session: AnySession) -> tuple[str, ...]:
    return tuple(session.scalars(select(Area.code).order_by(Area.code)))


def test_a_value_is_loaded_once_then_kept() -> None:
    create_area()
    db.session.commit()
    loads = []

    def loader(session: AnySession) -> tuple[str, ...]:
        loads.append(1)
        return _codes(session)

    first = reference_cache.cached(db.session, "test-codes", loader)
    again = reference_cache.cached(db.session, "test-codes", loader)
    assert first == again and len(first) == 1
    assert len(loads) == 1


def test_a_committed_change_to_a_watched_model_drops_the_value_and_bumps_the_version() -> None:
    reference_cache.watch(Area)
    create_area()
    db.session.commit()
    before = db.session.scalar(select(ReferenceVersion.version)) or 0
    assert len(reference_cache.cached(db.session, "test-codes", _codes)) == 1
    create_area()
    db.session.commit()
    assert len(reference_cache.cached(db.session, "test-codes", _codes)) == 2
    assert db.session.scalar(select(ReferenceVersion.version)) == before + 1


def test_another_process_sees_the_change_through_the_version_row() -> None:
    reference_cache.watch(Area)
    create_area()
    db.session.commit()
    reference_cache.configure(0)
    try:
        assert len(reference_cache.cached(db.session, "test-codes", _codes)) == 1
        # Another process added an area and bumped the counter; this one kept its value.
        reference_cache._values["test-codes"] = ("stale",)
        db.session.execute(update(ReferenceVersion).values(version=999))
        db.session.commit()
        assert len(reference_cache.cached(db.session, "test-codes", _codes)) == 1
        assert reference_cache.cached(db.session, "test-codes", _codes) != ("stale",)
    finally:
        reference_cache.configure(3600)
