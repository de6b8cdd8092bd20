"""PostgreSQL settings for every connection: plans made for each query's own values.

psycopg prepares a statement on the server after its fifth run, and PostgreSQL may then reuse
one generic plan for every later run. A generic plan cannot see which areas an
`area_id = ANY(:ids)` holds (portal/services/reference/area_tree.py: a township's 12 or a
county's 200),
so it guesses, and at a province's size the county queue went from 70 ms to 750 ms after ten
requests on a connection. `force_custom_plan` keeps the parsed statement and plans each run
with its values, as the first runs were.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event


@event.listens_for(Engine, "connect")
def _custom_plans(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.split(".")[0] != "psycopg":
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()
