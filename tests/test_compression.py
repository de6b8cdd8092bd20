"""Responses are compressed when the client accepts it: text only, and not tiny answers."""

from __future__ import annotations

import gzip

import brotli
from flask.testing import FlaskClient

from tests.factories import create_resident_user
from tests.html import ClientRequest
from tests.test_security_headers import assert_security_headers


def _page(client_request: ClientRequest, encoding: str | None) -> tuple[bytes, dict[str, str]]:
    user, _ = create_resident_user()
    client_request.login(user)
    headers = {"Accept-Encoding": encoding} if encoding else {}
    response = client_request.client.get("/", headers=headers)
    assert response.status_code == 200
    return response.get_data(), dict(response.headers)


def test_a_page_asked_for_with_gzip_comes_back_gzipped_and_decodes_to_the_same_html(
    client_request: ClientRequest,
) -> None:
    plain, plain_headers = _page(client_request, None)
    packed, headers = _page(client_request, "gzip")
    assert "Content-Encoding" not in plain_headers
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    assert len(packed) < len(plain) / 2
    assert int(headers["Content-Length"]) == len(packed)
    # CSRF is off in tests, so two renderings of the page are the same byte for byte.
    assert gzip.decompress(packed) == plain


def test_brotli_is_preferred_when_the_browser_takes_both(client_request: ClientRequest) -> None:
    plain, _ = _page(client_request, None)
    packed, headers = _page(client_request, "gzip, deflate, br, zstd")
    assert headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed) == plain


def test_nothing_is_compressed_for_a_client_that_does_not_ask(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert b"<html" in response.get_data()


def test_tiny_and_binary_answers_are_sent_as_they_are(client: FlaskClient) -> None:
    tiny = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert len(tiny.get_data()) < 500
    assert "Content-Encoding" not in tiny.headers
    icon = client.get("/favicon.ico", headers={"Accept-Encoding": "gzip"})
    assert icon.status_code == 200
    assert "Content-Encoding" not in icon.headers


def test_the_stylesheet_is_compressed_too(client: FlaskClient) -> None:
    plain = client.get("/static/wenxu.css").get_data()
    response = client.get("/static/wenxu.css", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == plain
    assert_security_headers(response, "compressed stylesheet")
