"""The real server: `healthkg serve` in a subprocess on a free port, talked to with httpx."""

from __future__ import annotations

import http.client
import json
import signal
import socket
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import httpx
import pytest

from api.settings import Settings
from tests.paths import SEED_ARTICLE_IRI
from tests.support import JSON_RESULTS, ServeProcess, assert_error_shape, cli_env, start_serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    env = cli_env(seed_settings.data_dir, seed_settings.articles_dir, sparql_workers="1")
    proc = start_serve(env, tmp_path_factory.mktemp("serve") / "serve.log")
    try:
        yield proc
    finally:
        code = proc.stop()
        log = proc.log.read_text(errors="replace")
        # uvicorn re-raises SIGTERM after a graceful shutdown, so -SIGTERM is a clean exit too.
        assert code in (0, -signal.SIGTERM), f"healthkg serve exited with {code}:\n{log}"
        assert "Application shutdown complete" in log and "Traceback" not in log, log


def test_health_over_http(server: ServeProcess, seed_settings: Settings) -> None:
    r = httpx.get(f"{server.url}/health", timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["generation"] == (seed_settings.data_dir / "current").resolve().name
    assert body["index"]["count"] == body["counts"]["sentences"] == 21
    assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":0")


def test_search_and_sparql_over_http(server: ServeProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        r = http.get("/search", params={"q": "does botox make your hair fall out", "k": 3})
        assert r.status_code == 200, r.text
        first = r.json()["hits"][0]
        assert "Botox injections do not cause hair loss" in first["text"]
        query = (f"SELECT ?text WHERE {{ <{SEED_ARTICLE_IRI}> <https://w3id.org/healthkg/ontology#hasText> ?c . "
                 "?c <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#isString> ?text }")
        r = http.get("/sparql", params={"query": query}, headers={"Accept": JSON_RESULTS})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(JSON_RESULTS)
        text = r.json()["results"]["bindings"][0]["text"]["value"]
        begin, end = first["offsets"]
        assert text[begin:end] == first["text"]
        r = http.post("/sparql", data={"query": f"ASK {{ <{SEED_ARTICLE_IRI}> ?p ?o }}"},
                      headers={"Accept": JSON_RESULTS})
        assert r.status_code == 200 and r.json()["boolean"] is True


def test_bad_input_over_http(server: ServeProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        assert_error_shape(http.get("/search", params={"q": ""}), 400)
        assert_error_shape(http.get("/search", params={"q": "x", "k": 0}), 422)
        assert_error_shape(http.post("/search", json={"q": "x", "nope": True}), 422)
        assert_error_shape(http.get("/sparql", params={"query": "SELEKT nothing"}), 400)


def test_a_post_asking_for_h2c_keeps_its_body(server: ServeProcess) -> None:
    """Java's HttpClient (Jena's rsparql --post) sends these headers; the body must still arrive."""
    body = "query=" + quote(f"ASK {{ <{SEED_ARTICLE_IRI}> ?p ?o }}")
    request = ("POST /sparql HTTP/1.1\r\nHost: localhost\r\n"
               "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
               "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               f"Accept: {JSON_RESULTS}\r\nContent-Length: {len(body)}\r\n\r\n{body}")
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request.encode())
        response = http.client.HTTPResponse(sock, method="POST")
        response.begin()
        status, data = response.status, response.read()
    assert status == 200, data
    assert json.loads(data) == {"head": {}, "boolean": True}
