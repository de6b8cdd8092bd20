"""Many rows in one statement: ids in the order of the rows, skipped conflicts, updates by id."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Area, AreaLevel
from portal.models.bulk_rows import _JsonValues, insert_new_rows, insert_rows, update_rows
from tests.query_count import count_queries


def _area(code: str, name: str) -> dict:
    return {
        "code": code,
        "name_zh": name,
        "name_en": name,
        "level": AreaLevel.VILLAGE,
        "valid_from": date(2020, 1, 1),
    }


def test_insert_rows_gives_the_ids_in_the_order_of_the_rows(app):
    rows = [_area(f"5101{n:08d}", f"村{n}") for n in range(1500, 0, -1)]
    with count_queries() as queries:
        ids = insert_rows(db.session, Area, rows)
    assert queries.count <= 3  # one or two inserts (1,000 rows each), ids drawn first on PostgreSQL
    codes = dict(db.session.execute(select(Area.id, Area.code)).all())
    assert [codes[i] for i in ids] == [row["code"] for row in rows]


def test_insert_new_rows_skips_the_rows_that_exist(app):
    insert_rows(db.session, Area, [_area("510100000001", "旧")])
    inserted = insert_new_rows(
        db.session,
        Area,
        [_area("510100000001", "新"), _area("510100000002", "新")],
        unique=("code",),
        returning=("code",),
    )
    assert [row.code for row in inserted] == ["510100000002"]
    names = dict(db.session.execute(select(Area.code, Area.name_zh)).all())
    assert names == {"510100000001": "旧", "510100000002": "新"}


def test_update_rows_writes_each_row_its_own_values(app):
    ids = insert_rows(db.session, Area, [_area(f"51010000000{n}", "村") for n in range(3)])
    with count_queries() as queries:
        update_rows(db.session, Area, [{"id": i, "name_zh": f"改{n}"} for n, i in enumerate(ids)])
    assert queries.count == 1
    names = dict(db.session.execute(select(Area.id, Area.name_zh)).all())
    assert [names[i] for i in ids] == ["改0", "改1", "改2"]


def test_a_moment_shared_by_many_rows_is_written_in_each_rows_own_zone():
    """The JSON of a batch writes each moment once, but one instant given in two zones keeps
    both spellings, and a naive datetime is refused every time."""
    encode = _JsonValues()
    utc = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    local = utc.astimezone(ZoneInfo("Asia/Shanghai"))
    assert [encode(utc), encode(local), encode(utc)] == [
        "2026-12-03T09:30:00+00:00",
        "2026-12-03T17:30:00+08:00",
        "2026-12-03T09:30:00+00:00",
    ]
    for _ in range(2):
        with pytest.raises(ValueError, match="naive"):
            encode(datetime(2026, 12, 3, 9, 30))
