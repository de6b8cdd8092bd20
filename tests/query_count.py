"""Counting the SQL statements a request runs, for the query-count guards (no N+1 comes back).

    with count_queries() as queries:
        client.get("/admin/")
    assert queries.count == ...

A guard compares one page at two sizes of data (say 10 and 200 rows in the page's scope) and
asserts the same count: a loop that queries per row shows as a difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from portal.extensions import db


@dataclass
class Queries:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {s[:200]}" for i, s in enumerate(self.statements))


@contextmanager
def count_queries() -> Iterator[Queries]:
    """Every statement sent on the app's engine inside the block (savepoints excluded)."""
    found = Queries()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            found.statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)
