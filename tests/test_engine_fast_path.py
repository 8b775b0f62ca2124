"""SPARQL runs in Oxigraph's engine: our paths answer within the same order as raw pyoxigraph.

A query over ~200k triples, heavy enough that process and pipe overhead do not dominate,
is timed through kg.engine.OxigraphEngine, through /sparql in process, and through the
graph store's select, against raw ``pyoxigraph`` on the same store. Only ratios are
asserted: rdflib's pure-Python engine (the silent fallback of a prepared query) would be
two to three orders of magnitude slower, never within a small factor.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from api.sparql import create_sparql_app
from kg.engine import OxigraphEngine
from kg.store import OxigraphGraphStore
from tests.support import JSON_RESULTS

pytestmark = pytest.mark.slow

EX = "https://fast.example/"
SUBJECTS, PREDICATES = 20_000, 10  # 200k triples
MAX_RATIO = 3.0
RUNS = 5

# Joins every subject's p0 with all its triples (all 200k) and aggregates per predicate:
# hundreds of milliseconds of engine work, ten result rows.
QUERY = f"""SELECT ?p (COUNT(*) AS ?n) (SUM(?o) AS ?total) WHERE {{
  ?s <{EX}p0> ?a .
  ?s ?p ?o .
  FILTER(?o > 3)
}} GROUP BY ?p ORDER BY ?p"""


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fast") / "store"
    store = ox.Store(str(path))
    graph = ox.NamedNode(f"{EX}graph/big")
    preds = [ox.NamedNode(f"{EX}p{i}") for i in range(PREDICATES)]
    store.bulk_extend(ox.Quad(ox.NamedNode(f"{EX}s/{s}"), p, ox.Literal(s * PREDICATES + i), graph)
                      for s in range(SUBJECTS) for i, p in enumerate(preds))
    store.flush()
    assert len(store) == SUBJECTS * PREDICATES
    del store
    return path


@pytest.fixture(scope="module")
def raw(big_store: Path) -> Iterator[ox.Store]:
    store = ox.Store.read_only(str(big_store))
    yield store
    del store


def raw_rows(store: ox.Store) -> list[tuple[str, ...]]:
    """Raw pyoxigraph: run the query and consume every row, in this process."""
    solutions = store.query(QUERY, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [tuple(row[n].value for n in names) for row in solutions]


def json_rows(body: bytes) -> list[tuple[str, ...]]:
    doc = json.loads(body)
    names = doc["head"]["vars"]
    return [tuple(b[n]["value"] for n in names) for b in doc["results"]["bindings"]]


def median_seconds(fn: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def assert_same_order(ours: Callable[[], object], raw_fn: Callable[[], object], what: str,
                      runs: int = RUNS) -> None:
    ours(), raw_fn()  # warm both (worker caches, page cache)
    # Interleave the measurements so machine load hits both sides alike.
    ours_t, raw_t = [], []
    for _ in range(runs):
        ours_t.append(median_seconds(ours, 1))
        raw_t.append(median_seconds(raw_fn, 1))
    ratio = statistics.median(ours_t) / statistics.median(raw_t)
    assert statistics.median(raw_t) > 0.02, "the query is too light to compare engines"
    assert ratio < MAX_RATIO, f"{what}: {ratio:.2f}x raw pyoxigraph ({ours_t} vs {raw_t})"


def test_the_query_is_heavy_and_the_answers_agree(raw: ox.Store, big_store: Path) -> None:
    rows = raw_rows(raw)
    assert [r[0] for r in rows] == [f"{EX}p{i}" for i in range(PREDICATES)]
    # Every triple joins once; only subject 0's p0..p3 (values 0..3) are filtered out.
    assert [int(r[1]) for r in rows] == [SUBJECTS - 1] * 4 + [SUBJECTS] * (PREDICATES - 4)
    engine = OxigraphEngine(big_store, workers=1, timeout=120)
    try:
        assert json_rows(engine.query(QUERY, media_type=JSON_RESULTS).read()) == rows
    finally:
        engine.close()


def test_oxigraph_engine_is_within_the_order_of_raw_pyoxigraph(raw: ox.Store, big_store: Path) -> None:
    engine = OxigraphEngine(big_store, workers=1, timeout=120)
    try:
        assert_same_order(lambda: engine.query(QUERY, media_type=JSON_RESULTS).read(), lambda: raw_rows(raw),
                          "OxigraphEngine")
    finally:
        engine.close()


def test_sparql_endpoint_in_process_is_within_the_order_of_raw_pyoxigraph(raw: ox.Store, big_store: Path) -> None:
    engine = OxigraphEngine(big_store, workers=1, timeout=120)
    app = create_sparql_app(Settings(sparql_workers=1, sparql_timeout=120), engine)
    with TestClient(app) as client:
        def ours() -> None:
            r = client.get("/sparql", params={"query": QUERY}, headers={"Accept": JSON_RESULTS})
            assert r.status_code == 200, r.text
            assert len(json_rows(r.content)) == 10

        assert_same_order(ours, lambda: raw_rows(raw), "/sparql", runs=3)


def test_graph_store_select_is_within_the_order_of_raw_pyoxigraph(raw: ox.Store, big_store: Path) -> None:
    store = OxigraphGraphStore(big_store, read_only=True)
    try:
        assert len(store.select(QUERY)) == 10
        assert_same_order(lambda: store.select(QUERY), lambda: raw_rows(raw), "OxigraphGraphStore.select", runs=3)
    finally:
        store.close()
