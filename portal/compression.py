"""Response compression: text answers gzip- or brotli-compressed, as the client accepts.

Flask-Compress rather than our own hook: it reads Accept-Encoding with its quality values,
sets `Vary: Accept-Encoding`, keeps ETags distinct per encoding and answers conditional
requests. A page of ~8 KB of HTML goes out as ~2 KB. A reverse proxy may compress instead
(docs/deploy.md); it passes on an answer that already has a Content-Encoding untouched.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

#: Text only: images and spreadsheets are compressed already, and CSV exports stream.
MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]

SETTINGS: dict[str, object] = {
    "COMPRESS_MIMETYPES": MIMETYPES,
    # Brotli first when the browser takes both (every current one does over HTTPS); quality 4
    # costs about what gzip's level 6 does and saves more.
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],  # static files are sent as streams
    "COMPRESS_BR_LEVEL": 4,
    "COMPRESS_LEVEL": 6,
    # Under this many bytes the headers and the compressor's framing outweigh the saving.
    "COMPRESS_MIN_SIZE": 500,
}

compress = Compress()


def init_app(app: Flask) -> None:
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    compress.init_app(app)
