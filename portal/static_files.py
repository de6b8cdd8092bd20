"""Static files under content-hashed URLs, cached for a year; the favicon.

Every `url_for('static', filename=...)` gets `?v=<hash of the file's content>` through a
`url_defaults` hook, so templates need no change. A request whose `v` is the file's current
hash is answered `Cache-Control: public, max-age=31536000, immutable`: the browser never asks
again, and a changed file has a new URL. The plain URL (or an old hash, from a page cached
before a deploy) still works, with a short lifetime. Hashes are computed once per process, on
first use (a deploy restarts the workers).

Hand-written rather than Flask-Static-Digest or WhiteNoise: Flask-Static-Digest needs a build
step that writes digested copies and a manifest into the package's static folder, and every
template changed to its own `static_url_for`; WhiteNoise serves files but, outside Django, does
not hash their names. Flask's own static route plus these lines do both, and the files keep the
same CSP origin ('self').
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request, send_from_directory
from flask.typing import ResponseReturnValue

LONG_LIVED = "public, max-age=31536000, immutable"
#: The plain URL: fresh for five minutes, then revalidated (ETag), so a deploy shows soon.
SHORT_LIVED = "public, max-age=300"
#: /favicon.ico has no hash in its name (browsers ask for it by that name): a long lifetime,
#: but not immutable.
FAVICON = "public, max-age=31536000"
DIGEST_LENGTH = 12


class StaticDigests:
    """The content hash of each static file, computed on first use and kept."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self._digests: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def digest(self, filename: str) -> str | None:
        """The file's hash; None for a file that does not exist (or is outside the folder)."""
        with self._lock:
            if filename in self._digests:
                return self._digests[filename]
        path = (self.folder / filename).resolve()
        found = None
        if path.is_relative_to(self.folder.resolve()) and path.is_file():
            found = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH]
        with self._lock:
            self._digests[filename] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self._digests.clear()


def digests() -> StaticDigests:
    found: StaticDigests = current_app.extensions["static_digests"]
    return found


def init_app(app: Flask) -> None:
    assert app.static_folder is not None
    app.extensions["static_digests"] = StaticDigests(app.static_folder)
    app.url_defaults(_add_digest)
    app.after_request(_cache_static)
    app.add_url_rule("/favicon.ico", "favicon", favicon)


def _add_digest(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "v" not in values and "filename" in values:
        found = digests().digest(str(values["filename"]))
        if found:
            values["v"] = found


def _cache_static(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    current = digests().digest(str(filename))
    hashed = current is not None and request.args.get("v") == current
    response.headers["Cache-Control"] = LONG_LIVED if hashed else SHORT_LIVED
    return response


def favicon() -> ResponseReturnValue:
    """The icon browsers ask for by name; pages also link the SVG one (base.html)."""
    assert current_app.static_folder is not None
    response = send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
    response.headers["Cache-Control"] = FAVICON
    return response
