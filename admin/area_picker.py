"""An area filter that lists one level at a time (a province has ~6,000 areas).

The select holds "All", the way down from the user's own area to the chosen one (to go back
up), then the chosen area's children in a group. Choosing a child and pressing the form's
button shows that child's children: it works without JavaScript and stays tens of options.
"""

from __future__ import annotations

from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from portal.forms import whole_number
from portal.models import Role, User
from portal.services.reference.area_tree import AreaTree


def scope_root(user: User) -> int | None:
    """The area at the top of the user's scope (None for administrators: every area)."""
    return None if user.role == Role.ADMIN else user.area_id


def chosen_area(value: object, tree: AreaTree, user: User) -> int | None:
    """The filter's value if it names an area inside the user's scope, else None."""
    area_id = whole_number(value)
    if area_id is None or area_id not in tree.nodes:
        return None
    root = scope_root(user)
    return area_id if root is None or area_id in tree.subtree_ids(root) else None


def area_choices(
    tree: AreaTree, user: User, chosen: int | None, locale: str
) -> dict[str, list[SelectChoice]]:
    """The options: "All" and the path down to `chosen`, then `chosen`'s children."""
    root = scope_root(user)
    path = list(reversed(tree.chain(chosen))) if chosen is not None else []
    if root is not None:
        ids = [n.id for n in path]
        path = path[ids.index(root) + 1 :] if root in ids else []
    top = [SelectChoice("", _("All")), *(SelectChoice(str(n.id), n.name(locale)) for n in path)]
    groups = {"": top}
    parent = chosen if chosen is not None else root
    children = tree.child_nodes(parent)
    if children:
        label = (
            _("In %(area)s", area=tree.nodes[parent].name(locale))
            if parent is not None
            else _("Areas")
        )
        groups[label] = [SelectChoice(str(n.id), n.name(locale)) for n in children]
    return groups
