"""Counts that stop at COUNT_CAP + 1 rows, so their cost is bounded by the cap, not the table.

At a province's size "more than 10,000" is all a list needs to say; counting a county's
850,000 open cases exactly would read them all on every page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from portal.models.base import AnySession

#: Any SELECT, whatever its columns.
AnySelect = Select[*tuple[Any, ...]]
#: Counts beyond this are shown as "more than 10,000".
COUNT_CAP = 10_000


def capped(query: AnySelect, key: InstrumentedAttribute[int]) -> ScalarSelect[int]:
    """The number of `query`'s rows, up to COUNT_CAP + 1, as a subquery (`key`: its id)."""
    limited = query.with_only_columns(key).order_by(None).limit(COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(limited).scalar_subquery()


def capped_count(session: AnySession, query: AnySelect, key: InstrumentedAttribute[int]) -> int:
    """How many rows `query` has, up to COUNT_CAP + 1 ("more than COUNT_CAP")."""
    return session.scalar(select(capped(query, key))) or 0


def beyond_cap(count: int) -> bool:
    return count > COUNT_CAP
