"""`need_item_name(id)` for templates: a catalogue item's name from the per-process catalogue.

Templates name items by id (`need_item_name(item.need_item_id)`) instead of following
`item.need_item`, which would lazy-load one row per item inside a loop.
"""

from __future__ import annotations

from flask import Flask

from portal.extensions import db
from portal.services.reference.catalogue import catalogue
from portal.services.reference.labels import current_locale


def need_item_name(item_id: int | None) -> str:
    return catalogue(db.session).name(item_id, current_locale())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["need_item_name"] = need_item_name
