"""Static files: content-hashed URLs cached for a year, the plain URL short-lived; the favicon."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.static_files import LONG_LIVED, SHORT_LIVED, StaticDigests
from tests.conftest import build_app
from tests.test_security_headers import assert_security_headers

STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/wenxu\.css\?v=([0-9a-f]+))">')


def _stylesheet_url(client: FlaskClient) -> tuple[str, str]:
    found = STYLESHEET.search(client.get("/").get_data(as_text=True))
    assert found, "the page links no hashed stylesheet"
    return found.group(1), found.group(2)


def test_the_page_links_the_stylesheet_by_its_content_hash_cached_for_a_year(
    client: FlaskClient,
) -> None:
    url, digest = _stylesheet_url(client)
    assert len(digest) == 12
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == LONG_LIVED
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert_security_headers(response, url)


def test_every_static_link_in_a_page_carries_its_hash(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {link.split("?")[0] for link in links} >= {
        "/static/wenxu.css",
        "/static/wenxu.js",
        "/static/favicon.svg",
    }
    assert all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links), links


def test_the_plain_url_and_an_old_hash_still_work_with_a_short_lifetime(
    client: FlaskClient,
) -> None:
    for url in ("/static/wenxu.css", "/static/wenxu.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == SHORT_LIVED, url
        assert_security_headers(response, url)


def test_a_revalidated_file_keeps_its_lifetime(client: FlaskClient) -> None:
    url, _ = _stylesheet_url(client)
    etag = client.get(url).headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == LONG_LIVED


@pytest.fixture
def app_with_own_static(app: Flask, tmp_path: Path) -> Flask:
    """A second app whose static folder is a copy we may change."""
    assert app.static_folder is not None
    folder = tmp_path / "static"
    shutil.copytree(app.static_folder, folder)
    other = build_app(app.config["SQLALCHEMY_DATABASE_URI"])
    other.static_folder = str(folder)
    other.extensions["static_digests"] = StaticDigests(str(folder))
    return other


def test_the_hash_changes_when_the_file_does(app_with_own_static: Flask) -> None:
    client = app_with_own_static.test_client()
    with app_with_own_static.app_context():
        before, old = _stylesheet_url(client)
        assert app_with_own_static.static_folder is not None
        css = Path(app_with_own_static.static_folder) / "wenxu.css"
        css.write_text(css.read_text() + "\n.changed { color: #000; }\n")
        # A deploy starts new workers; a new process computes the hashes afresh.
        app_with_own_static.extensions["static_digests"].clear()
        after, new = _stylesheet_url(client)
    assert new != old
    assert client.get(after).headers["Cache-Control"] == LONG_LIVED
    assert client.get(before).headers["Cache-Control"] == SHORT_LIVED
    assert b".changed" in client.get(after).get_data()


def test_favicon_ico_is_an_icon_with_a_long_lifetime(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO header: type 1, icon
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert_security_headers(response, "/favicon.ico")


def test_the_pages_link_an_svg_favicon(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="(/static/favicon\.svg\?v=[0-9a-f]+)"', html)
    assert link
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<script" not in response.get_data()
    assert response.headers["Cache-Control"] == LONG_LIVED


def test_a_name_outside_the_static_folder_has_no_hash(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "secret.txt").write_text("no")
    digests = StaticDigests(str(tmp_path / "static"))
    assert digests.digest("../secret.txt") is None
    assert digests.digest("missing.css") is None
