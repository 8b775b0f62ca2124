"""No outbound request from /sparql unless HEALTHKG_SPARQL_SERVICE_ALLOW names the target.

A local HTTP server counts every request it receives; each SERVICE / LOAD form below must
be refused with a 400 naming its target while that count stays at zero, on the embedded
backend (a real uvicorn server) and on the remote one (Virtuoso). Allowed targets are
fetched, which shows the counter would have seen a request had one been made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from api.sparql import create_sparql_app
from kg.outbound import OutboundRefused, check_outbound
from tests.sparql_support import BASE, TOKEN, Server, make_fixture_store, start_server
from tests.virtuoso import VirtuosoServer, virtuoso

__all__ = ["virtuoso"]

SECRET = "SECRET-REMOTE-BODY"


class Counter:
    """A local HTTP server that counts requests and answers SPARQL JSON or Turtle."""

    def __init__(self) -> None:
        self.count = 0
        self.paths: list[str] = []
        lock = threading.Lock()
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                with lock:
                    counter.count += 1
                    counter.paths.append(self.path)
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                if self.path.split("?")[0].endswith(".ttl"):
                    body, media = f'<http://ex/s> <http://ex/p> "{SECRET}" .\n', "text/turtle"
                else:
                    body = ('{"head":{"vars":["remote"]},"results":{"bindings":[{"remote":'
                            f'{{"type":"literal","value":"{SECRET}"}}}}]}}}}')
                    media = "application/sparql-results+json"
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = do_PUT = do_CONNECT = _answer  # noqa: N815

            def log_message(self, *_: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def allowed(self) -> str:
        return f"{self.url}/allowed/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def counter() -> Iterator[Counter]:
    c = Counter()
    yield c
    c.close()


@pytest.fixture(scope="module")
def guarded(counter: Counter, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A writable server whose allowlist names only ``counter.allowed``."""
    tmp = tmp_path_factory.mktemp("outbound")
    store = make_fixture_store(tmp / "store")
    server = start_server(store, tmp / "server.log", update_enabled="true", update_token=TOKEN,
                          sparql_service_allow=f'["{counter.allowed}"]')
    yield server
    server.stop()


# Each form: (id, text with {u} for the counter's URL, what the 400 must name).
QUERIES = [
    ("plain", "SELECT * WHERE {{ SERVICE <{u}/plain> {{ ?s ?p ?o }} }}", "<{u}/plain>"),
    ("silent", "SELECT * WHERE {{ SERVICE SILENT <{u}/silent> {{ ?s ?p ?o }} }}", "<{u}/silent>"),
    ("lowercase", "select * where {{ service <{u}/lower> {{ ?s ?p ?o }} }}", "<{u}/lower>"),
    ("variable", "SELECT * WHERE {{ VALUES ?svc {{ <{u}/var> }} SERVICE ?svc {{ ?s ?p ?o }} }}", "?svc"),
    ("subquery", "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{u}/sub> {{ ?s ?p ?o }} }} }} }}",
     "<{u}/sub>"),
    ("exists", "ASK {{ FILTER EXISTS {{ SERVICE <{u}/exists> {{ ?s ?p ?o }} }} }}", "<{u}/exists>"),
    ("not-exists-construct", "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER NOT EXISTS "
     "{{ SERVICE <{u}/nex> {{ ?s ?p ?o }} }} }}", "<{u}/nex>"),
    ("describe", "DESCRIBE ?s WHERE {{ SERVICE <{u}/describe> {{ ?s ?p ?o }} }}", "<{u}/describe>"),
    ("optional-union-minus", "SELECT * {{ OPTIONAL {{ ?s ?p ?o }} {{ ?a ?b ?c }} UNION "
     "{{ MINUS {{ SERVICE <{u}/minus> {{ ?a ?b ?c }} }} }} }}", "<{u}/minus>"),
    ("bind-exists", "SELECT * {{ BIND(EXISTS {{ SERVICE <{u}/bind> {{ }} }} AS ?x) }}", "<{u}/bind>"),
    ("prefixed-name", "PREFIX r: <{u}/> SELECT * {{ SERVICE r:prefixed {{ ?s ?p ?o }} }}", "<{u}/prefixed>"),
    ("base", "BASE <{u}/base/> SELECT * {{ SERVICE <rel> {{ ?s ?p ?o }} }}", "<{u}/base/rel>"),
    ("unicode-escape", "SELECT * {{ SERVICE <{u}/\\u0065sc> {{ ?s ?p ?o }} }}", "<{u}/esc>"),
    ("nested-in-allowed", "SELECT * {{ SERVICE <{u}/allowed/outer> {{ SERVICE <{u}/inner> {{ ?s ?p ?o }} }} }}",
     "<{u}/inner>"),
    ("escaped-hash-in-name", "PREFIX ex: <http://ex/> SELECT * {{ ?s ex:a\\# ?o . SERVICE <{u}/hash> {{ }} }}",
     "<{u}/hash>"),
    ("allowed-prefix-lookalike", "SELECT * {{ SERVICE <{u}/allowed> {{ ?s ?p ?o }} }}", "<{u}/allowed>"),
]

UPDATES = [
    ("load", "LOAD <{u}/data.ttl>", "<{u}/data.ttl>"),
    ("load-silent-into", "LOAD SILENT <{u}/data.ttl> INTO GRAPH <http://ex/g>", "<{u}/data.ttl>"),
    ("load-prefixed", "PREFIX r: <{u}/> LOAD r:p.ttl", "<{u}/p.ttl>"),
    ("load-base", "BASE <{u}/b/> LOAD <rel.ttl>", "<{u}/b/rel.ttl>"),
    ("load-after-insert", "INSERT DATA {{ GRAPH <http://ex/g> {{ <http://ex/a> <http://ex/b> 1 }} }} ; "
     "LOAD <{u}/second.ttl>", "<{u}/second.ttl>"),
    ("insert-where-service", "INSERT {{ GRAPH <http://ex/g> {{ ?s ?p ?o }} }} WHERE "
     "{{ SERVICE <{u}/upd> {{ ?s ?p ?o }} }}", "<{u}/upd>"),
    ("delete-exists-service", "DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER EXISTS "
     "{{ SERVICE SILENT <{u}/del> {{ }} }} }}", "<{u}/del>"),
]


def _ids(cases: list[tuple[str, str, str]]) -> list[str]:
    return [c[0] for c in cases]


def assert_refused(r: httpx.Response, named: str) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "outbound_request_refused"
    assert named in body["message"], body["message"]
    assert SECRET not in r.text


# -- the embedded backend, over HTTP ------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-direct"])
@pytest.mark.parametrize(("name", "query", "named"), QUERIES, ids=_ids(QUERIES))
def test_query_forms_are_refused_without_a_request(guarded: Server, counter: Counter, method: str,
                                                   name: str, query: str, named: str) -> None:
    text, named = query.format(u=counter.url), named.format(u=counter.url)
    before = counter.count
    if method == "GET":
        r = httpx.get(guarded.sparql, params={"query": text}, timeout=30)
    elif method == "POST-form":
        r = httpx.post(guarded.sparql, data={"query": text}, timeout=30)
    else:
        r = httpx.post(guarded.sparql, content=text.encode(),
                       headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert_refused(r, named)
    assert counter.count == before, counter.paths


@pytest.mark.parametrize(("name", "update", "named"), UPDATES, ids=_ids(UPDATES))
def test_update_forms_are_refused_without_a_request(guarded: Server, counter: Counter,
                                                    name: str, update: str, named: str) -> None:
    before = counter.count
    r = httpx.post(guarded.sparql, content=update.format(u=counter.url).encode(), timeout=30,
                   headers={"Content-Type": "application/sparql-update",
                            "Authorization": f"Bearer {TOKEN}"})
    assert_refused(r, named.format(u=counter.url))
    assert counter.count == before, counter.paths
    # and nothing of a refused multi-operation update was applied
    ask = httpx.get(guarded.sparql, params={"query": "ASK { GRAPH <http://ex/g> { ?s ?p ?o } }"})
    assert ask.json()["boolean"] is False


def test_a_call_to_the_server_itself_is_refused(guarded: Server) -> None:
    r = httpx.get(guarded.sparql, params={"query": f"SELECT * {{ SERVICE <{guarded.sparql}> {{ ?s ?p ?o }} }}"})
    assert_refused(r, f"<{guarded.sparql}>")


def test_an_allowed_service_is_fetched(guarded: Server, counter: Counter) -> None:
    """The control: a target on the allowlist reaches the counter (so zero above means zero)."""
    before = counter.count
    r = httpx.get(guarded.sparql, params={"query": f"SELECT ?remote {{ SERVICE <{counter.allowed}q> {{ ?remote ?p ?o }} }}"},
                  headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200, r.text
    assert [b["remote"]["value"] for b in r.json()["results"]["bindings"]] == [SECRET]
    assert counter.count == before + 1


def test_an_allowed_load_is_fetched(guarded: Server, counter: Counter) -> None:
    before = counter.count
    r = httpx.post(guarded.sparql, content=f"LOAD <{counter.allowed}data.ttl> INTO GRAPH <http://ex/loaded>",
                   headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
                   timeout=30)
    assert r.status_code == 204, r.text
    assert counter.count == before + 1
    ask = httpx.get(guarded.sparql, params={"query": "ASK { GRAPH <http://ex/loaded> { ?s ?p ?o } }"})
    assert ask.json()["boolean"] is True


def test_updates_without_the_token_are_403_before_the_check(guarded: Server, counter: Counter) -> None:
    r = httpx.post(guarded.sparql, content=f"LOAD <{counter.url}/x.ttl>",
                   headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 403


# -- the check itself, as a table ------------------------------------------------------------

ALLOW = ("http://ok.example/",)


@pytest.mark.parametrize(("text", "update", "refused"), [
    ("SELECT * { ?s ?p ?o }", False, False),
    ("SELECT ?service { ?service <http://ex/service> ?o }", False, False),
    ("PREFIX ex: <http://ex/> SELECT * { ?s ex:service ?o ; ex:load ?l }", False, False),
    ('SELECT * { ?s ?p "SERVICE <http://evil/> { }" }', False, False),
    ("SELECT * { ?s ?p ?o } # SERVICE <http://evil/> { }", False, False),
    ("SELECT * { ?s ?p <http://ex/SERVICE> }", False, False),
    ("SELECT * { SERVICE <http://ok.example/sparql> { ?s ?p ?o } }", False, False),
    ("SELECT * { SERVICE <http://ok.example.evil/sparql> { ?s ?p ?o } }", False, True),
    ("SELECT * { SERVICE <https://ok.example/sparql> { ?s ?p ?o } }", False, True),
    ("SELECT * { SERVICE ?x { ?s ?p ?o } }", False, True),
    ("SELECT * { SERVICE <http://ok.example/a> { SERVICE <http://evil/> { } } }", False, True),
    ('DEFINE input:grab-all "yes" SELECT * FROM <http://evil/> { ?s ?p ?o }', False, True),
    ("SELECT * { SERVICE <http://evil/> { ?s ?p ?o ", False, True),  # not parseable: refused all the same
    ("LOAD <http://ok.example/data.ttl>", True, False),
    ("LOAD <http://evil/data.ttl>", True, True),
    ("CLEAR ALL ; LOAD <http://evil/data.ttl>", True, True),
    ("INSERT DATA { <http://ex/s> <http://ex/load> 'LOAD <http://evil/>' }", True, False),
])
def test_check_outbound_table(text: str, update: bool, refused: bool) -> None:
    if refused:
        with pytest.raises(OutboundRefused):
            check_outbound(text, update=update, allow=ALLOW, base_iri=BASE)
    else:
        check_outbound(text, update=update, allow=ALLOW, base_iri=BASE)


@pytest.mark.parametrize("text", [
    "SELECT * { SERVICE <http://ok.example/sparql> { ?s ?p ?o } }",
    "PREFIX ex: <http://ex/> SELECT * { ?s ex:a\\# ?o . SERVICE <http://ok.example/x> { } }",
])
def test_an_empty_allowlist_refuses_every_service(text: str) -> None:
    with pytest.raises(OutboundRefused):
        check_outbound(text, update=False, allow=(), base_iri=BASE)


# -- the remote backend (Virtuoso) -------------------------------------------------------------

@pytest.fixture(scope="module")
def remote_client(virtuoso: VirtuosoServer, counter: Counter) -> Iterator[TestClient]:
    settings = Settings(store="sparql", update_enabled=True, update_token=TOKEN, base_iri=BASE,
                        sparql_service_allow=[counter.allowed])
    app = create_sparql_app(settings, virtuoso.engine(writable=True, base_iri=BASE))
    with TestClient(app) as client:
        yield client


def test_remote_backend_refuses_every_form_without_a_request(remote_client: TestClient,
                                                             counter: Counter) -> None:
    before = counter.count
    for _, query, named in QUERIES:
        r = remote_client.post("/sparql", data={"query": query.format(u=counter.url)})
        assert_refused(r, named.format(u=counter.url))
    for _, update, named in UPDATES:
        r = remote_client.post("/sparql", content=update.format(u=counter.url).encode(),
                               headers={"Content-Type": "application/sparql-update",
                                        "Authorization": f"Bearer {TOKEN}"})
        assert_refused(r, named.format(u=counter.url))
    assert counter.count == before, counter.paths
    ok = remote_client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"})
    assert ok.status_code == 200, ok.text  # the backend itself answers


def test_settings_default_allows_nothing() -> None:
    assert Settings().sparql_service_allow == []


def test_long_requests_are_checked_by_the_lexer_without_a_slow_parse() -> None:
    """rdflib's parser needs minutes for 100 KB; the check must not (it runs on every query)."""
    import time

    from kg.outbound import PARSE_LIMIT

    rows = " ".join(f'(<http://ex/s{i}> "v{i}")' for i in range(4000))
    long_query = f"SELECT * WHERE {{ VALUES (?s ?v) {{ {rows} }} }}"
    assert len(long_query) > 5 * PARSE_LIMIT
    started = time.monotonic()
    check_outbound(long_query, update=False, allow=ALLOW, base_iri=BASE)
    with pytest.raises(OutboundRefused, match="cannot be checked"):
        check_outbound(long_query.replace("WHERE {", "WHERE { SERVICE <http://ok.example/x> { } ", 1),
                       update=False, allow=ALLOW, base_iri=BASE)
    with pytest.raises(OutboundRefused, match="allowlist is empty"):
        check_outbound(long_query.replace("WHERE {", "WHERE { SERVICE <http://ok.example/x> { } ", 1),
                       update=False, allow=(), base_iri=BASE)
    assert time.monotonic() - started < 5
