"""The area tree, held per process: who is under an area, and the chain above it.

A staff scope is an area and everything under it. At a province's size (~6,000 areas) that
is answered from memory instead of a `code LIKE 'prefix%'` join: `subtree_ids` gives the ids
of a subtree, and queries filter their own indexed `area_id` column with them
(`in_subtree`). The tree reloads when an area changes (portal.reference_cache).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, literal, select, true
from sqlalchemy.orm import InstrumentedAttribute

from portal import reference_cache
from portal.models import Area, AreaLevel
from portal.models.base import AnySession

reference_cache.watch(Area)


@dataclass(frozen=True)
class AreaNode:
    id: int
    code: str
    level: AreaLevel
    parent_id: int | None
    name_zh: str
    name_en: str
    current: bool  # not dissolved (valid_to is None)

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


@dataclass
class AreaTree:
    nodes: dict[int, AreaNode]
    #: Each area's children (None: the roots), in code order.
    children: dict[int | None, tuple[int, ...]]
    _subtrees: dict[int, frozenset[int]] = field(default_factory=dict, repr=False)

    def subtree_ids(self, area_id: int) -> frozenset[int]:
        """The area and every area under it (empty for an unknown id)."""
        found = self._subtrees.get(area_id)
        if found is None:
            found = frozenset(self._walk(area_id)) if area_id in self.nodes else frozenset()
            self._subtrees[area_id] = found
        return found

    def _walk(self, area_id: int) -> Iterable[int]:
        stack = [area_id]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(self.children.get(current, ()))

    def covers_all(self, area_id: int) -> bool:
        return area_id in self.nodes and len(self.subtree_ids(area_id)) == len(self.nodes)

    def chain(self, area_id: int) -> list[AreaNode]:
        """The area and its ancestors, the area first."""
        found: list[AreaNode] = []
        current = self.nodes.get(area_id)
        while current is not None:
            found.append(current)
            current = self.nodes.get(current.parent_id) if current.parent_id else None
        return found

    def child_nodes(self, area_id: int | None, *, current_only: bool = True) -> list[AreaNode]:
        nodes = (self.nodes[i] for i in self.children.get(area_id, ()))
        return [n for n in nodes if n.current or not current_only]


def area_tree(session: AnySession) -> AreaTree:
    """The whole tree, loaded once per process (one query) until an area changes."""
    return reference_cache.cached(session, "area_tree", _load)


def _load(session: AnySession) -> AreaTree:
    rows = session.execute(
        select(
            Area.id,
            Area.code,
            Area.level,
            Area.parent_id,
            Area.name_zh,
            Area.name_en,
            Area.valid_to.is_(None),
        ).order_by(Area.code)
    ).all()
    nodes = {row[0]: AreaNode(*row) for row in rows}
    children: dict[int | None, list[int]] = {}
    for node in nodes.values():
        parent = node.parent_id if node.parent_id in nodes else None
        children.setdefault(parent, []).append(node.id)
    return AreaTree(nodes, {k: tuple(v) for k, v in children.items()})


def in_subtree(
    session: AnySession, column: ColumnElement[Any] | InstrumentedAttribute[Any], area_id: int
) -> ColumnElement[bool]:
    """`column` (an area id column) inside the area's subtree: no filter when that is every area."""
    tree = area_tree(session)
    if tree.covers_all(area_id):
        return true()
    ids = sorted(tree.subtree_ids(area_id))
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter, not one placeholder per area: a county's ~200 ids cost
        # more to render and convert than the query takes to run.
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)
