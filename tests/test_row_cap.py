"""A result the row cap cuts says so: ``HEALTHKG-Truncated: true`` and ``HEALTHKG-Row-Limit``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kg.engine import OxigraphEngine
from tests.sparql_support import VOCABULARY, Server, make_fixture_store, start_server
from tests.virtuoso import VirtuosoServer, virtuoso

__all__ = ["virtuoso"]

CAP = 3
JSON = "application/sparql-results+json"
FOUR = "SELECT ?x WHERE { VALUES ?x { 1 2 3 4 } }"
THREE = "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"
GRAPH = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VOCABULARY}> {{ ?s ?p ?o }} }}"  # 9 triples


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("row-cap")
    server = start_server(make_fixture_store(tmp / "store"), tmp / "server.log",
                          sparql_max_rows=str(CAP), sparql_workers="1",
                          cors_origins='["https://researcher.example"]')
    yield server
    server.stop()


@pytest.mark.parametrize("accept", [JSON, "text/csv", "application/sparql-results+xml"])
def test_a_cut_select_says_so(capped_server: Server, accept: str) -> None:
    r = httpx.get(capped_server.sparql, params={"query": FOUR}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["healthkg-truncated"] == "true"
    assert r.headers["healthkg-row-limit"] == str(CAP)
    if accept == JSON:
        assert [b["x"]["value"] for b in r.json()["results"]["bindings"]] == ["1", "2", "3"]


def test_an_answer_exactly_at_the_cap_is_not_flagged(capped_server: Server) -> None:
    r = httpx.get(capped_server.sparql, params={"query": THREE}, headers={"Accept": JSON})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == CAP
    assert "healthkg-truncated" not in r.headers and "healthkg-row-limit" not in r.headers


def test_a_cut_construct_says_so(capped_server: Server) -> None:
    r = httpx.get(capped_server.sparql, params={"query": GRAPH}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and len(r.text.strip().splitlines()) == CAP
    assert r.headers["healthkg-truncated"] == "true"


def test_head_and_cors_see_the_signal(capped_server: Server) -> None:
    origin = "https://researcher.example"
    r = httpx.head(capped_server.sparql, params={"query": FOUR}, headers={"Origin": origin})
    assert r.headers["healthkg-truncated"] == "true"
    exposed = r.headers.get("access-control-expose-headers", "").lower()
    assert "healthkg-truncated" in exposed and "healthkg-row-limit" in exposed


def test_embedded_engine_outcome(tmp_path) -> None:  # noqa: ANN001 - pytest's tmp_path
    engine = OxigraphEngine(make_fixture_store(tmp_path / "store"), workers=1, max_rows=CAP)
    try:
        cut = engine.query(FOUR, media_type=JSON)
        assert (cut.truncated, cut.row_limit) == (True, CAP)
        cut.read()
        whole = engine.query(THREE, media_type=JSON)
        assert (whole.truncated, whole.row_limit) == (False, None)
        whole.read()
    finally:
        engine.close()


def test_remote_engine_outcome(virtuoso: VirtuosoServer) -> None:
    engine = virtuoso.engine(max_rows=CAP)
    try:
        cut = engine.query(FOUR, media_type=JSON)
        assert (cut.truncated, cut.row_limit) == (True, CAP)
        assert cut.read().count(b'"x"') == CAP + 1  # the head's vars, and three rows
        whole = engine.query(THREE, media_type=JSON)
        assert whole.truncated is False
        whole.read()
    finally:
        engine.close()
