"""Writing many rows of one table in one statement, for set-based work such as the SLA sweep.

On PostgreSQL the rows travel as one JSON parameter that the server reads into records of the
table's row type (`INSERT … SELECT … FROM json_populate_recordset(NULL::table, :rows)`, and
`UPDATE … FROM` the same): one parameter whatever the number of rows, so neither the driver
nor the server parses thousands of placeholders. A multi-row VALUES of 1,000 messages took
~0.5 s to send (half of it psycopg rewriting placeholders); one array per column ~0.07 s, but
psycopg quotes each text element in Python. Elsewhere (SQLite, in process) SQLAlchemy's
executemany does the work.

Rows are dicts of column values with the same keys each; values are what the model's columns
take (enums, dicts for JSON, aware datetimes). Python-side column defaults are filled in for
missing keys, as an ORM insert would.
"""

from __future__ import annotations

import enum
import json
import typing
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Row,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.selectable import TableValuedAlias

from portal.models.base import AnySession, Base

Values = dict[str, Any]


def table_of(model: type[Base]) -> Table:
    return typing.cast(Table, model.__table__)


def _is_postgresql(session: AnySession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_rows(session: AnySession, model: type[Base], rows: list[Values]) -> list[int]:
    """Insert `rows` of `model`; their new ids, in the order of `rows`."""
    if not rows:
        return []
    table = table_of(model)
    rows = _with_defaults(table, rows)
    if not _is_postgresql(session):
        # Multi-row inserts (SQLAlchemy's insertmanyvalues), RETURNING in no promised order:
        # SQLite numbers the rows of one insert as it writes them, in order, under its write
        # lock, so the sorted ids are the rows' ids in order. (Asking SQLAlchemy to sort
        # them makes it insert one row per statement.)
        return sorted(row.id for row in session.execute(insert(table).returning(table.c.id), rows))
    # Ids drawn first, in order, so each row's id is known without relying on RETURNING order.
    sequence = func.pg_get_serial_sequence(table.name, "id")
    ids = sorted(
        session.scalars(
            select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
        )
    )
    rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    keys = list(rows[0])
    source = _records(table, rows)
    session.execute(insert(table).from_select(keys, select(*[source.c[key] for key in keys])))
    return ids


def insert_new_rows(
    session: AnySession,
    model: type[Base],
    rows: list[Values],
    *,
    unique: Sequence[str],
    returning: Sequence[str],
) -> list[Row[Any]]:
    """Insert the `rows` whose `unique` columns match no row yet (race-safe: a row another
    transaction inserts meanwhile is skipped); the `returning` columns of those inserted."""
    if not rows:
        return []
    table = table_of(model)
    rows = _with_defaults(table, rows)
    columns = [table.c[name] for name in returning]
    if not _is_postgresql(session):
        lite = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(unique))
        return list(session.execute(lite.returning(*columns), rows))
    keys = list(rows[0])
    source = _records(table, rows)
    statement = postgresql.insert(table).from_select(keys, select(*[source.c[key] for key in keys]))
    statement = statement.on_conflict_do_nothing(index_elements=list(unique))
    return list(session.execute(statement.returning(*columns)))


def update_rows(session: AnySession, model: type[Base], rows: list[Values]) -> None:
    """Update rows of `model` by id: each of `rows` holds its `id` and the new values."""
    if not rows:
        return
    table = table_of(model)
    keys = [key for key in rows[0] if key != "id"]
    if not _is_postgresql(session):
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({key: bindparam(f"new_{key}") for key in keys})
        )
        session.execute(
            statement,
            [{"row_id": row["id"], **{f"new_{key}": row[key] for key in keys}} for row in rows],
        )
        return
    source = _records(table, rows)
    session.execute(
        update(table).where(table.c.id == source.c.id).values({key: source.c[key] for key in keys})
    )


def _with_defaults(table: Table, rows: list[Values]) -> list[Values]:
    missing = [
        column
        for column in table.columns
        if column.key not in rows[0] and column.default is not None and not column.primary_key
    ]
    if not missing:
        return rows
    filled = []
    for row in rows:
        extra = {}
        for column in missing:
            default: Any = column.default
            extra[column.key] = default.arg(None) if default.is_callable else default.arg
        filled.append({**row, **extra})
    return filled


def _records(table: Table, rows: list[Values]) -> TableValuedAlias:
    """The rows as `json_populate_recordset(NULL::table, :rows)`: one JSON parameter, read by
    the server into records of the table's own row type."""
    payload = json.dumps(rows, default=_JsonValues())
    row_type: Any = literal_column(f'NULL::"{table.name}"')
    rows_param = cast(bindparam("rows", payload, type_=Text()), JSON())
    names = [column.name for column in table.columns]
    return func.json_populate_recordset(row_type, rows_param).table_valued(*names)


class _JsonValues:
    """What JSON cannot hold as it is (string enums it can): dates and times, other enums.

    A batch's rows share most of their moments (the sweep's `now` in every row, one deadline
    at close of business for a day's cases, one hold until working hours): each is written
    out once per payload."""

    def __init__(self) -> None:
        self.written: dict[tuple[datetime, Any], str] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, datetime):
            # The zone is part of the key: one moment reads differently in another zone.
            key = (value, value.tzinfo)
            text = self.written.get(key)
            if text is None:
                if value.tzinfo is None:
                    raise ValueError("naive datetime given to a UTC column")
                text = self.written[key] = value.isoformat()
            return text
        if isinstance(value, date | time):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return value.value
        raise TypeError(f"{type(value).__name__} is not a column value")
