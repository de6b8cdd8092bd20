"""Keep the shared reference tables (SLA policies, calendar) as a test found them.

The conftest seeds them once per session and never empties them, so a test that edits them
must put them back: use `kept_reference_rows()` in a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from portal.extensions import db
from portal.models import Base

SLA_TABLES = ("sla_policy", "calendar_day", "calendar_year")


@contextmanager
def kept_reference_rows(*names: str) -> Iterator[None]:
    tables = [Base.metadata.tables[name] for name in names or SLA_TABLES]
    with db.engine.connect() as connection:
        saved = {t.name: [dict(r._mapping) for r in connection.execute(t.select())] for t in tables}
    try:
        yield
    finally:
        db.session.rollback()
        db.session.close()
        with db.engine.begin() as connection:
            for table in tables:
                connection.execute(table.delete())
                if saved[table.name]:
                    connection.execute(table.insert(), saved[table.name])
