"""/sparql over HTTP against the real server: protocol errors, negotiation, service
description, YASGUI page, Graph Store Protocol reads, CORS, updates."""

from __future__ import annotations

import json

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from api.settings import Settings
from api.sparql import SD, check_update_token, operation_from_post
from kg.errors import BadRequest, Forbidden, UnsupportedMediaType
from tests.sparql_support import ARTICLE, TOKEN, VOCABULARY, Server, sparql_server, update_server

__all__ = ["sparql_server", "update_server"]

JSON = "application/sparql-results+json"
ASK = "ASK { ?s ?p ?o }"


def get(server: Server, **params: str) -> httpx.Response:
    headers = {"Accept": params.pop("accept")} if "accept" in params else {}
    return httpx.get(server.sparql, params=params, headers=headers, timeout=30)


# -- pure parsing -------------------------------------------------------------------------

@pytest.mark.parametrize(("content_type", "body", "error"), [
    (None, b"query=ASK%20%7B%7D", UnsupportedMediaType),
    ("text/plain", b"ASK {}", UnsupportedMediaType),
    ("application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), BadRequest),
    ("application/sparql-query", b"ASK { \xff }", BadRequest),
    ("application/x-www-form-urlencoded", b"query=ASK%20%7B%7D&query=ASK%20%7B%7D", BadRequest),
    ("application/x-www-form-urlencoded", b"query=%FF", BadRequest),
    ("application/x-www-form-urlencoded", b"query=ASK%20%7B%7D&update=CLEAR%20ALL", BadRequest),
])
def test_bad_posts(content_type: str | None, body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        operation_from_post(content_type, body, "")


def test_form_post_merges_url_parameters() -> None:
    op = operation_from_post("application/x-www-form-urlencoded; charset=UTF-8",
                             b"query=ASK%20%7B%7D&named-graph-uri=http%3A%2F%2Fg%2F2",
                             "default-graph-uri=http%3A%2F%2Fg%2F1")
    assert (op.query, op.default_graphs, op.named_graphs) == ("ASK {}", ["http://g/1"], ["http://g/2"])


@pytest.mark.parametrize(("enabled", "token", "header", "ok"), [
    (False, TOKEN, f"Bearer {TOKEN}", False),
    (True, None, "Bearer ", False),
    (True, TOKEN, None, False),
    (True, TOKEN, "Bearer wrong", False),
    (True, TOKEN, f"Basic {TOKEN}", False),
    (True, TOKEN, f"Bearer {TOKEN}", True),
    (True, TOKEN, f"bearer {TOKEN}", True),
])
def test_update_token(enabled: bool, token: str | None, header: str | None, ok: bool) -> None:
    settings = Settings(update_enabled=enabled, update_token=token)
    if ok:
        check_update_token(settings, header)
    else:
        with pytest.raises(Forbidden):
            check_update_token(settings, header)


# -- queries over HTTP --------------------------------------------------------------------

def test_get_query_defaults_to_json_and_varies_on_accept(sparql_server: Server) -> None:
    r = get(sparql_server, query=ASK)
    assert r.status_code == 200
    assert r.headers["content-type"] == JSON
    assert "Accept" in r.headers["vary"]
    assert r.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize(("accept", "media"), [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv; charset=utf-8"),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
    ("application/json", JSON),
    ("text/*;q=0.5, application/sparql-results+xml;q=0.4", "text/csv; charset=utf-8"),
])
def test_select_negotiated(sparql_server: Server, accept: str, media: str) -> None:
    r = get(sparql_server, query="SELECT ?n WHERE { ?p <http://schema.org/name> ?n }", accept=accept)
    assert r.status_code == 200 and r.headers["content-type"] == media
    assert "Olivia Thompson" in r.text


@pytest.mark.parametrize(("accept", "media"), [
    (None, "text/turtle; charset=utf-8"), ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"), ("application/ld+json", "application/ld+json")])
def test_construct_negotiated(sparql_server: Server, accept: str | None, media: str) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VOCABULARY}> {{ ?s ?p ?o }} }}"
    r = get(sparql_server, query=query, **({"accept": accept} if accept else {}))
    assert r.status_code == 200 and r.headers["content-type"] == media
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
           "application/ld+json": "json-ld"}[media.split(";")[0]]
    assert len(Graph().parse(data=r.content, format=fmt)) == 9


def test_describe_returns_turtle(sparql_server: Server) -> None:
    r = get(sparql_server, query=f"DESCRIBE <{ARTICLE}>")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert (URIRef(ARTICLE), RDF.type, URIRef("http://schema.org/Article")) in Graph().parse(
        data=r.text, format="turtle")


def test_unicode_escape_in_a_prefix_iri_keeps_the_query_form(sparql_server: Server) -> None:
    query = ("PREFIX ex: <http://ex/\\u00E9> CONSTRUCT { ?s ex:p ?o } "
             f"WHERE {{ GRAPH <{VOCABULARY}> {{ ?s ?p ?o }} }}")
    for accept in ("*/*", "text/turtle"):
        r = get(sparql_server, query=query, accept=accept)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/turtle; charset=utf-8"
        assert (None, URIRef("http://ex/\u00e9p"), None) in Graph().parse(data=r.text, format="turtle")


def test_text_plain_select_is_csv(sparql_server: Server) -> None:
    r = get(sparql_server, query="SELECT ?n WHERE { ?p <http://schema.org/name> ?n }", accept="text/plain")
    assert r.status_code == 200 and r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "n\r\nOlivia Thompson\r\n"


@pytest.mark.parametrize("params", [{"accept": "text/n3"}, {"format": "n3"},
                                    {"format": "application/ld+json,text/n3", "output": "n3"}])
def test_construct_as_n3(sparql_server: Server, params: dict[str, str]) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VOCABULARY}> {{ ?s ?p ?o }} }}"
    r = get(sparql_server, query=query, **params)
    expected = "application/ld+json" if params.get("format", "").startswith("application/ld") else "text/n3"
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == expected
    assert len(Graph().parse(data=r.text, format="n3" if expected == "text/n3" else "json-ld")) == 9


def test_repeated_format_parameters_first_known_wins(sparql_server: Server) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VOCABULARY}> {{ ?s ?p ?o }} }}"
    r = httpx.get(sparql_server.sparql, params=[("query", query), ("format", "json-ld"),
                                                ("format", "application/ld+json,application/x-json+ld"),
                                                ("output", "json-ld"), ("results", "json-ld")])
    assert r.status_code == 200 and r.headers["content-type"] == "application/ld+json"
    assert len(Graph().parse(data=r.text, format="json-ld")) == 9


@pytest.mark.parametrize("char", ["\\u0000", "\\u0001", "\\uFFFE"])
def test_xml_results_never_carry_characters_xml_cannot(sparql_server: Server, char: str) -> None:
    query = f'SELECT ?x WHERE {{ BIND("a{char}b" AS ?x) }}'
    r = get(sparql_server, query=query, accept="application/sparql-results+xml")
    assert r.status_code == 406, r.text
    assert r.json()["code"] == "not_acceptable" and f"U+{char[2:].upper()}" in r.json()["message"]
    as_json = get(sparql_server, query=query, accept=JSON)
    assert as_json.status_code == 200
    assert as_json.json()["results"]["bindings"][0]["x"]["value"] == "a" + chr(int(char[2:], 16)) + "b"
    graph = get(sparql_server, query=f'CONSTRUCT {{ <http://ex/s> <http://ex/p> ?x }} WHERE {{ BIND("a{char}b" AS ?x) }}',
                accept="application/rdf+xml")
    assert graph.status_code == 406


def test_xml_results_with_tabs_and_newlines_stay_well_formed(sparql_server: Server) -> None:
    from xml.dom.minidom import parseString

    r = get(sparql_server, query='SELECT ?x WHERE { BIND("a\\tb\\nc <&>" AS ?x) }',
            accept="application/sparql-results+xml")
    assert r.status_code == 200
    literal = parseString(r.content).getElementsByTagName("literal")[0].firstChild.data
    assert literal == "a\tb\nc <&>"


def test_format_parameter_for_browsers(sparql_server: Server) -> None:
    r = get(sparql_server, query="SELECT (1 AS ?x) {}", format="csv", accept="text/html")
    assert r.status_code == 200 and r.text == "x\r\n1\r\n"


def test_406_when_nothing_fits(sparql_server: Server) -> None:
    r = get(sparql_server, query="SELECT * {}", accept="image/png")
    assert r.status_code == 406
    assert r.json()["code"] == "not_acceptable"


def test_bad_syntax_is_400_with_the_parser_message(sparql_server: Server) -> None:
    r = get(sparql_server, query="SELECT * WHERE { ?s ?p }")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "query_syntax_error" and body["message"].startswith("error at 1:")


def test_duplicated_query_is_400(sparql_server: Server) -> None:
    r = httpx.get(f"{sparql_server.sparql}?query=ASK%7B%7D&query=ASK%7B%7D")
    assert r.status_code == 400


def test_update_by_get_is_refused(sparql_server: Server) -> None:
    r = get(sparql_server, update="CLEAR ALL")
    assert r.status_code == 400
    assert get(sparql_server, query=ASK).json()["boolean"] is True


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(sparql_server: Server, method: str) -> None:
    r = httpx.request(method, sparql_server.sparql, params={"query": ASK})
    assert r.status_code == 405 and "POST" in r.headers["allow"]


def test_post_direct_and_form(sparql_server: Server) -> None:
    direct = httpx.post(sparql_server.sparql, content=ASK,
                        headers={"Content-Type": "application/sparql-query"})
    form = httpx.post(sparql_server.sparql, data={"query": ASK})
    assert direct.json()["boolean"] is True and form.json()["boolean"] is True


def test_dataset_parameters(sparql_server: Server) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = httpx.get(sparql_server.sparql, params={"query": query, "named-graph-uri": VOCABULARY})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == [VOCABULARY]
    r = httpx.get(sparql_server.sparql, params={
        "query": "ASK { ?a a <http://schema.org/Article> }", "default-graph-uri": VOCABULARY})
    assert r.json()["boolean"] is False


def test_updates_are_forbidden_when_disabled(sparql_server: Server) -> None:
    r = httpx.post(sparql_server.sparql, content="CLEAR ALL",
                   headers={"Content-Type": "application/sparql-update",
                            "Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


# -- service description, YASGUI -----------------------------------------------------------

def test_service_description_for_rdf_clients(sparql_server: Server) -> None:
    r = httpx.get(sparql_server.sparql, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    service = URIRef(sparql_server.sparql)
    assert (service, RDF.type, SD.Service) in g
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    assert g.value(service, SD.defaultDataset) is not None
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in g
    [note] = [str(c) for c in g.objects(service, RDFS.comment)]  # the row cap, and how a cut is signalled
    cap = str(Settings().sparql_max_rows)  # the server's own default
    assert f"capped at {cap} rows" in note and "HEALTHKG-Truncated: true" in note and f"HEALTHKG-Row-Limit: {cap}" in note


def test_service_description_in_json_ld(sparql_server: Server) -> None:
    r = httpx.get(sparql_server.sparql, headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and "UnionDefaultGraph" in r.text
    json.loads(r.text)


def test_yasgui_page_for_browsers(sparql_server: Server) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = httpx.get(sparql_server.sparql, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "/sparql/yasgui/yasgui.min.js" in r.text and "Claims: denied vs affirmed" in r.text
    assert "cdn" not in r.text.lower()
    js = httpx.get(f"{sparql_server.url}/sparql/yasgui/yasgui.min.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    assert httpx.get(f"{sparql_server.url}/sparql/yasgui/..%2Fsparql.py").status_code == 404


# -- Graph Store Protocol reads -------------------------------------------------------------

def test_gsp_get_named_graph(sparql_server: Server) -> None:
    r = httpx.get(f"{sparql_server.url}/rdf-graph-store", params={"graph": VOCABULARY},
                  headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/turtle; charset=utf-8"
    assert len(Graph().parse(data=r.text, format="turtle")) == 9


def test_gsp_get_default_graph_is_the_union(sparql_server: Server) -> None:
    r = httpx.get(f"{sparql_server.url}/rdf-graph-store?default",
                  headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert ARTICLE in r.text and "/concept/hair-loss" in r.text


def test_gsp_head_and_404(sparql_server: Server) -> None:
    url = f"{sparql_server.url}/rdf-graph-store"
    head = httpx.head(url, params={"graph": VOCABULARY}, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/turtle")
    assert head.content == b""
    missing = "http://www.example/gsp/person/4.ttl"
    assert httpx.head(url, params={"graph": missing}).status_code == 404
    assert httpx.get(url, params={"graph": missing}).status_code == 404
    assert httpx.get(url).status_code == 400
    assert httpx.put(url, params={"graph": missing}, content=b"").status_code == 405


# -- CORS -----------------------------------------------------------------------------------

def test_cors_preflight_and_simple_request(sparql_server: Server) -> None:
    origin = "https://researcher.example"
    pre = httpx.options(sparql_server.sparql, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == origin
    assert "POST" in pre.headers["access-control-allow-methods"]
    r = httpx.get(sparql_server.sparql, params={"query": ASK}, headers={"Origin": origin})
    assert r.headers["access-control-allow-origin"] == origin
    other = httpx.get(sparql_server.sparql, params={"query": ASK}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_never_wildcard_with_credentials() -> None:
    from fastapi import FastAPI

    from api.sparql import add_cors

    with pytest.raises(ValueError):
        add_cors(FastAPI(), Settings(cors_origins=["*"], cors_credentials=True))


# -- updates --------------------------------------------------------------------------------

def test_update_needs_the_token(update_server: Server) -> None:
    update = "INSERT DATA { GRAPH <http://ex/g> { <http://ex/s> <http://ex/p> 1 } }"
    headers = {"Content-Type": "application/sparql-update"}
    assert httpx.post(update_server.sparql, content=update, headers=headers).status_code == 403
    wrong = {**headers, "Authorization": "Bearer nope"}
    assert httpx.post(update_server.sparql, content=update, headers=wrong).status_code == 403
    good = {**headers, "Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(update_server.sparql, content=update, headers=good).status_code == 204
    r = get(update_server, query="ASK { GRAPH <http://ex/g> { <http://ex/s> ?p 1 } }")
    assert r.json()["boolean"] is True


def test_form_update_with_using_graph(update_server: Server) -> None:
    r = httpx.post(update_server.sparql, headers={"Authorization": f"Bearer {TOKEN}"}, data={
        "update": "INSERT { GRAPH <http://ex/copy> { ?c a <http://ex/C> } } WHERE { ?c ?p ?o }",
        "using-graph-uri": VOCABULARY})
    assert r.status_code == 204
    r = get(update_server, query="SELECT (COUNT(DISTINCT ?c) AS ?n) { GRAPH <http://ex/copy> { ?c ?p ?o } }")
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "3"


def test_update_syntax_error_is_400(update_server: Server) -> None:
    r = httpx.post(update_server.sparql, content="CLEAR XYZ",
                   headers={"Content-Type": "application/sparql-update",
                            "Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 400 and r.json()["code"] == "query_syntax_error"


def test_head_query_answers_headers_and_keeps_the_workers(sparql_server: Server) -> None:
    workers = set(sparql_server.worker_pids())
    r = httpx.head(sparql_server.sparql, params={"query": "SELECT * { ?s ?p ?o }"},
                   headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content == b""
    assert set(sparql_server.worker_pids()) == workers  # the answer was drained, not killed
