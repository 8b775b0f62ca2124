"""HTTP hygiene (issue 13, item 7): security headers on HTML pages, a bound on request
headers (against the real server: the h11 parser is part of it), repeated scalar parameters
and non-UTF-8 query strings refused with 400 naming the parameter, offsets bounded, and
every such 4xx in the OpenAPI schema."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.resources import MAX_OFFSET
from api.settings import Settings
from embeddings.encoder import Encoder
from tests.support import ServeProcess, assert_error_shape, serving_seed

QUESTION = "does botox make your hair fall out"


@pytest.fixture(scope="module")
def client(seed_settings: Settings, encoder: Encoder) -> Iterator[TestClient]:
    with TestClient(create_app(seed_settings, encoder=encoder)) as c:
        yield c


HTML_PAGES = [("/sparql", {"Accept": "text/html"}), ("/docs", {}), ("/redoc", {}),
              ("/concept/hair-loss", {"Accept": "text/html"}), ("/article/botox-hair-loss", {"Accept": "text/html"})]


@pytest.mark.parametrize(("path", "headers"), HTML_PAGES)
def test_html_pages_carry_security_headers(client: TestClient, path: str, headers: dict[str, str]) -> None:
    r = client.get(path, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (path, r.status_code)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"


def test_other_answers_are_nosniff_without_a_page_policy(client: TestClient) -> None:
    for r in (client.get("/health"), client.get("/search", params={"q": ""}), client.get("/sparql/yasgui/yasgui.min.js")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" not in r.headers


@pytest.mark.parametrize(("path", "query", "name"), [
    ("/search", "q=botox&k=1&k=3", "k"),
    ("/search", "q=botox&q=hair", "q"),
    ("/articles", "limit=1&limit=2", "limit"),
    ("/entities", "q=botox&q=hair", "q"),
    ("/claims", "negated=true&negated=false", "negated"),
    ("/concept/hair-loss", "format=ttl&format=html", "format"),
])
def test_a_repeated_scalar_parameter_is_a_400_naming_it(client: TestClient, path: str, query: str, name: str) -> None:
    body = assert_error_shape(client.get(f"{path}?{query}"), 400)
    assert body["detail"]["parameter"] == name and repr(name) in body["message"]


@pytest.mark.parametrize(("path", "query", "name"), [
    ("/search", "q=%FF", "q"), ("/search", "q=caf%C3%A9%FF", "q"), ("/entities", "q=%FE%FF", "q"),
    ("/articles", "offset=%FF", "offset"),
])
def test_a_query_string_that_is_not_utf8_is_a_400_like_sparql(client: TestClient, path: str, query: str,
                                                                name: str) -> None:
    body = assert_error_shape(client.get(f"{path}?{query}"), 400)
    assert body["detail"] == {"parameter": name} and "UTF-8" in body["message"]
    sparql = client.get("/sparql?query=%FF", headers={"Accept": "application/sparql-results+json"})
    assert_error_shape(sparql, 400)


def test_the_sparql_protocol_keeps_its_repeatable_parameters(client: TestClient, seed_settings: Settings) -> None:
    graph = f"{seed_settings.base_iri}article/botox-hair-loss"
    r = client.get("/sparql", params=[("query", "ASK { ?s ?p ?o }"), ("default-graph-uri", graph),
                                      ("default-graph-uri", graph + "-other")],
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert client.get("/search", params={"q": "café", "k": 2}).status_code == 200


@pytest.mark.parametrize("path", ["/articles", "/claims"])
def test_offsets_are_bounded_before_the_store_sees_them(client: TestClient, path: str) -> None:
    body = assert_error_shape(client.get(path, params={"offset": "9" * 20}), 422)
    assert body["detail"][0]["loc"] == ["query", "offset"] and str(MAX_OFFSET) in body["message"]
    assert "oxigraph" not in body["message"].lower() and "parser" not in body["message"].lower()
    ok = client.get(path, params={"offset": MAX_OFFSET})
    assert ok.status_code == 200 and ok.json()[path.strip("/")] == []


def _responses(schema: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    return schema["paths"][path][method]["responses"]  # type: ignore[no-any-return]


def test_every_4xx_these_routes_give_is_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    routes = [("/search", "get"), ("/search", "post"), ("/articles", "get"), ("/articles/{slug}", "get"),
              ("/entities", "get"), ("/entities/{entity_id}", "get"), ("/claims", "get"),
              ("/concept/{slug}", "get")]
    for path, method in routes:
        documented = _responses(schema, path, method)
        for status in ("400", "422", "431"):
            assert status in documented, (path, method, status)
        examples = documented["400"]["content"]["application/json"]["examples"]
        assert {"repeated_parameter", "not_utf8"} <= set(examples), (path, examples)
    assert {"empty_q"} <= set(_responses(schema, "/search")["400"]["content"]["application/json"]["examples"])
    assert "413" in _responses(schema, "/search", "post")
    # Each refusal the routes give really has the documented status.
    for url, status in (("/search?q=", 400), ("/search?q=x&k=0", 422), ("/articles?offset=-1", 422),
                        ("/articles?limit=1&limit=1", 400), ("/entities?q=", 400)):
        assert client.get(url).status_code == status, url


# -- the real server ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serving_seed(seed_settings.data_dir, seed_settings.articles_dir,
                      tmp_path_factory.mktemp("hygiene") / "serve.log") as proc:
        yield proc


RESET = -1


def raw_request(url: str, header_bytes: int) -> tuple[int, bytes]:
    """One GET /health with a header of ``header_bytes``, written in one go; the status
    (:data:`RESET` when the server closed the connection before we could read its answer)."""
    parts = urlsplit(url)
    request = (f"GET /health HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Padding: {'a' * header_bytes}\r\n"
               "Connection: close\r\n\r\n").encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading and answered early
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:  # it answered and closed while our header was still arriving
            return (RESET if not data.startswith(b"HTTP/1.1 ") else int(data.split(b" ", 2)[1])), data
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, data


@pytest.mark.slow
@pytest.mark.parametrize("size", [20_000, 1_048_576])
def test_an_oversized_request_header_is_refused_by_the_real_server(server: ServeProcess, size: int) -> None:
    status, data = raw_request(server.url, size)
    assert status in (400, 431, RESET), data[:300]
    if size < 65536:  # read in one go by the server: the app's own bound answers, in the error shape
        assert status == 431 and b'"headers_too_large"' in data, data[:300]
    assert raw_request(server.url, 1000)[0] == 200
    assert httpx.get(f"{server.url}/search", params={"q": QUESTION, "k": 2}, timeout=30).status_code == 200


@pytest.mark.slow
def test_the_real_server_sends_the_page_headers_and_refuses_bad_query_strings(server: ServeProcess) -> None:
    page = httpx.get(f"{server.url}/sparql", headers={"Accept": "text/html"}, timeout=30)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    r = httpx.get(f"{server.url}/search?q=%FF", timeout=30)
    assert r.status_code == 400 and r.json()["detail"] == {"parameter": "q"}
    r = httpx.get(f"{server.url}/search?q=botox&k=1&k=3", timeout=30)
    assert r.status_code == 400 and r.json()["detail"]["parameter"] == "k"
