"""A request nested or chained deep enough to crash a worker's parser is a 400 before any worker
sees it (issue 13, item 3): 5,000 nested parentheses or 10,000 UNIONs used to kill a query
worker (503 "the query worker died", and a respawn)."""

from __future__ import annotations

import time

import httpx
import pytest

from kg.query_shape import QueryTooComplex, Shape, check_shape, query_shape
from tests.sparql_support import TOKEN, Server, sparql_server, update_server

__all__ = ["sparql_server", "update_server"]

NESTED_PARENS = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "?o" + ")" * 5000 + ") }"
UNIONS = "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10_000) + " }"
# Deep-ish but realistic: 40 levels of groups, 300 UNIONs, a FILTER with a few operators.
DEEPISH = ("SELECT (COUNT(*) AS ?n) WHERE " + "{ " * 40 + " UNION ".join(["{ ?s ?p ?o }"] * 300)
           + " FILTER(?o != 1 && (?o = ?o || !BOUND(?o)))" + " }" * 40)


@pytest.mark.parametrize(("text", "shape"), [
    ("ASK {}", Shape(1, 0)),
    ("SELECT * { ?s ?p ?o }", Shape(1, 1)),
    ("SELECT * { { ?a ?b ?c } UNION { ?d ?e ?f } OPTIONAL { ?a ?x ?y } }", Shape(2, 3)),
    ("ASK { ?s ?p ?o FILTER(?o != 1 && ?o >= -1 || !BOUND(?o)) }", Shape(3, 7)),
    ('ASK { ?s ?p "((({{{ UNION" . ?s <http://x/(> ?o }', Shape(1, 0)),  # strings, IRIs
    ("ASK { ?s ?p ?o } # (((((( UNION UNION\n", Shape(1, 0)),  # comments
    ('ASK { ?s ex:a-b-c _:b-1 . ?s ?p "x"@en-GB }', Shape(1, 0)),  # hyphens that are no minus
    ("ASK { ?s <http://x/p>/<http://x/q>|^<http://x/r> [ ?p ?o ] }", Shape(2, 3)),
    ("INSERT DATA { GRAPH <http://x/g> { <http://x/s> <http://x/p> 1 } }", Shape(2, 1)),
])
def test_query_shape_table(text: str, shape: Shape) -> None:
    assert query_shape(text) == shape


def test_check_shape_names_the_setting_and_the_values() -> None:
    check_shape("ASK { { { } } }", max_depth=3, max_operators=0)
    with pytest.raises(QueryTooComplex) as deep:
        check_shape("ASK { { { { } } } }", max_depth=3, max_operators=10)
    assert deep.value.detail == {"limit": "HEALTHKG_SPARQL_MAX_DEPTH", "max": 3, "found": 4}
    assert "HEALTHKG_SPARQL_MAX_DEPTH allows 3" in deep.value.message
    with pytest.raises(QueryTooComplex) as many:
        check_shape(UNIONS, max_depth=64, max_operators=1000)
    assert many.value.detail == {"limit": "HEALTHKG_SPARQL_MAX_OPERATORS", "max": 1000, "found": 10_000}


def test_the_lexer_pass_is_cheap() -> None:
    big = "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 60_000) + " }"  # ~1 MB
    started = time.monotonic()
    assert query_shape(big).operators == 60_000
    assert time.monotonic() - started < 5  # generous: about 0.3 s on one core


def _refused(r: httpx.Response, limit: str, found: int) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "query_too_complex"
    assert body["detail"]["limit"] == limit and body["detail"]["found"] == found
    assert limit in body["message"]


@pytest.mark.parametrize(("query", "limit", "found"), [
    (NESTED_PARENS, "HEALTHKG_SPARQL_MAX_DEPTH", 5002),
    (UNIONS, "HEALTHKG_SPARQL_MAX_OPERATORS", 10_000),
], ids=["5000-parentheses", "10k-unions"])
def test_crashing_shapes_are_400_and_no_worker_dies(sparql_server: Server, query: str, limit: str,
                                                    found: int) -> None:
    workers = set(sparql_server.worker_pids())
    assert len(workers) == 2
    started = time.monotonic()
    r = httpx.post(sparql_server.sparql, content=query.encode(),
                   headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert time.monotonic() - started < 2
    _refused(r, limit, found)
    ok = httpx.get(sparql_server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["boolean"] is True
    assert set(sparql_server.worker_pids()) == workers, "no worker was killed or replaced"


def test_a_deepish_realistic_query_still_answers(sparql_server: Server) -> None:
    assert query_shape(DEEPISH).depth > 40
    r = httpx.post(sparql_server.sparql, data={"query": DEEPISH}, timeout=30)
    assert r.status_code == 200, r.text
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) > 0


def test_updates_are_bounded_too(update_server: Server) -> None:
    deep = "INSERT DATA { GRAPH <http://x/g> { <http://x/s> <http://x/p> " + "(" * 5000 + ")" * 5000 + " } }"
    r = httpx.post(update_server.sparql, content=deep.encode(), timeout=30,
                   headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    _refused(r, "HEALTHKG_SPARQL_MAX_DEPTH", 5002)
    ok = httpx.post(update_server.sparql, data={"update": "INSERT DATA { GRAPH <http://x/g> "
                                                          "{ <http://x/s> <http://x/p> 1 } }"},
                    headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert ok.status_code == 204, ok.text
