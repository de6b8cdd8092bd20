"""The WSGI app bench/scale.py serves with gunicorn: the real app, and beside it a bare Flask
app answering /bench/bare, the floor the resident home page's throughput is compared with.

    gunicorn -c gunicorn.conf.py bench.scale_wsgi:app

Requests for /bench/bare never reach the real app (no session, no database, no hooks); every
other path goes to `create_app()` exactly as wsgi.py serves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from portal import create_app

BARE_PATH = "/bench/bare"

real = create_app()
bare = Flask("bench_bare")


@bare.get(BARE_PATH)
def bare_route() -> str:
    return "ok"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    target = bare if environ.get("PATH_INFO") == BARE_PATH else real
    return target(environ, start_response)  # type: ignore[no-any-return]
