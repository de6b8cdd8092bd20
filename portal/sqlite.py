"""SQLite settings for the embedded default: write-ahead log, fewer fsyncs, waiting on locks.

WAL lets the web process read while a worker or the sweep writes; `synchronous=NORMAL` in WAL
mode stays consistent after a crash and may lose only the last transactions on power loss
(acceptable for the single-machine default; production runs on PostgreSQL).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
