"""Reference data (areas, the catalogue, labels) kept per process, dropped when it changes.

Pages read the area tree and the catalogue on nearly every request; at a province's size the
area tree alone is ~6,000 rows. Each process loads such data once through `cached(name,
loader)` and keeps it until reference data changes:

- in the process that changes it, at once: a flush touching a watched model (`watch`) marks
  the session, and its commit drops every cached value;
- in every other process, within `REFERENCE_CHECK_SECONDS`: the same flush bumps the one row of
  `reference_version` in its own transaction, and `cached` compares that number at most once
  per interval before answering.

Loaders return plain values (tuples, dataclasses, dicts), never ORM instances, which would be
bound to the session that loaded them. A hand-written cache rather than a library: what is
needed is invalidation by a database counter shared across processes, which neither
functools nor cachetools offers, and it is this module's 80 lines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from portal.models.base import AnySession
from portal.models.reference_version import ReferenceVersion

T = TypeVar("T")

_lock = threading.Lock()
_values: dict[str, Any] = {}
_state = {"version": -1, "checked_at": 0.0, "interval": 5.0}
_watched: set[type] = set()


def configure(check_seconds: float) -> None:
    """How often (seconds) a process asks the database whether reference data changed."""
    _state["interval"] = check_seconds


def watch(*models: type) -> None:
    """Changes to these models drop every cached value (registered at import by loaders)."""
    _watched.update(models)


def cached(session: AnySession, name: str, loader: Callable[[AnySession], T]) -> T:
    """The value `loader` gives, loaded once per process and kept until reference data changes."""
    _check_version(session)
    with _lock:
        if name in _values:
            return _values[name]  # type: ignore[no-any-return]
    value = loader(session)
    with _lock:
        _values.setdefault(name, value)
        return _values[name]  # type: ignore[no-any-return]


def clear() -> None:
    """Drop every cached value in this process (tests after deleting rows, loaders' callers)."""
    with _lock:
        _values.clear()


def _check_version(session: AnySession) -> None:
    now = time.monotonic()
    if now - _state["checked_at"] < _state["interval"]:
        return
    version = session.scalar(select(ReferenceVersion.version).where(ReferenceVersion.id == 1))
    _state["checked_at"] = now
    if (version or 0) != _state["version"]:
        clear()
        _state["version"] = version or 0


@event.listens_for(Session, "after_flush")
def _note_change(session: Session, _context: Any) -> None:
    if session.info.get("reference_changed") or not _watched:
        return
    touched = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(obj, tuple(_watched)) for obj in touched):
        return
    session.info["reference_changed"] = True
    bump = update(ReferenceVersion).where(ReferenceVersion.id == 1)
    connection = session.connection()
    if connection.execute(bump.values(version=ReferenceVersion.version + 1)).rowcount == 0:
        connection.execute(insert(ReferenceVersion).values(id=1, version=1))


@event.listens_for(Session, "after_commit")
def _drop_after_commit(session: Session) -> None:
    if session.info.pop("reference_changed", False):
        clear()


@event.listens_for(Session, "after_rollback")
def _forget_mark(session: Session) -> None:
    session.info.pop("reference_changed", None)
