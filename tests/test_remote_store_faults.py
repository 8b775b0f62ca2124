"""The remote store and engine when the server fails: down, killed, restarted.

Every test runs against a Virtuoso of this module's own (``restartable_virtuoso``), which
it may stop, kill and start again on the same ports and database directory. The same
store and engine objects must work again by themselves once the server is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef

from kg.errors import Forbidden, HealthKGError, NotAcceptable, QuerySyntaxError, QueryTimeout, StoreUnavailable
from kg.sparql_store import SparqlGraphStore, staging_graph
from tests.virtuoso import VirtuosoServer, restartable_virtuoso

__all__ = ["restartable_virtuoso"]

BASE = "https://healthkg.test/faults/"
JSON = "application/sparql-results+json"


@pytest.fixture
def server(restartable_virtuoso: VirtuosoServer) -> Iterator[VirtuosoServer]:
    """The module's server, running at the start of each test."""
    restartable_virtuoso.start()
    yield restartable_virtuoso
    restartable_virtuoso.start()
    cleanup = restartable_virtuoso.store(graph_prefixes=(BASE,))
    for iri in cleanup.graph_iris():
        cleanup.drop_graph(iri)
    cleanup.close()


@pytest.fixture
def store(server: VirtuosoServer) -> Iterator[SparqlGraphStore]:
    s = server.store(graph_prefixes=(BASE,), update_timeout=60)
    yield s
    s.close()


def article(name: str, n: int, tag: str = "v1") -> Graph:
    g = Graph()
    doc = URIRef(f"{BASE}article/{name}")
    for i in range(n):
        s = URIRef(f"{BASE}article/{name}/sentence/{i}")
        g.add((doc, URIRef(f"{BASE}hasPart"), s))
        g.add((s, URIRef(f"{BASE}anchorOf"), Literal(f"sentence {i} of {name} ({tag})")))
        g.add((s, URIRef(f"{BASE}beginIndex"), Literal(i * 10)))
        g.add((s, URIRef(f"{BASE}negated"), Literal(i % 3 == 0)))
    return g


def content(store: SparqlGraphStore, graph_iri: str) -> set[tuple[str, str, str]]:
    rows = store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}")
    return {(r["s"]["value"], r["p"]["value"], r["o"]["value"]) for r in rows}


def as_set(g: Graph) -> set[tuple[str, str, str]]:
    return {(str(s), str(p), str(o)) for s, p, o in g}


# --------------------------------------------------------------------------------------
# Down at write time

def test_write_while_down_names_the_endpoint_and_writes_nothing(server: VirtuosoServer,
                                                                store: SparqlGraphStore) -> None:
    a = f"{BASE}article/a"
    store.replace_graph(a, article("a", 5))
    server.stop()
    with pytest.raises(StoreUnavailable) as info:
        store.replace_graph(a, article("a", 9, "v2"))
    assert server.update_endpoint in info.value.message or server.query_endpoint in info.value.message
    with pytest.raises(StoreUnavailable, match=server.update_endpoint):
        store.drop_graph(a)
    server.start()
    assert content(store, a) == as_set(article("a", 5))
    assert store.count(staging_graph(a)) == 0


def test_server_gone_between_the_requests_of_a_large_write(server: VirtuosoServer) -> None:
    """A graph written over several requests: the server stops after the first one.
    The article graph keeps its old triples; the staging graph is cleared next time."""
    store = server.store(graph_prefixes=(BASE,), max_request_bytes=30_000, chunk_triples=100)
    a = f"{BASE}article/big"
    old, new = article("big", 50), article("big", 400, "v2")
    store.replace_graph(a, old)
    sent: list[int] = []
    update = store.client.update

    def update_then_stop(text: str, **kw: Any) -> None:
        update(text, **kw)
        sent.append(len(text))
        if len(sent) == 1:
            server.stop()

    store.client.update = update_then_stop  # type: ignore[method-assign,assignment]
    with pytest.raises(StoreUnavailable, match=server.update_endpoint):
        store.replace_graph(a, new)
    store.client.update = update  # type: ignore[method-assign]
    server.start()
    assert content(store, a) == as_set(old)
    assert store.count(staging_graph(a)) > 0  # left behind; never listed as a graph
    assert store.graph_iris() == {a}
    store.replace_graph(a, new)
    assert content(store, a) == as_set(new)
    assert store.count(staging_graph(a)) == 0
    store.close()


def test_server_killed_in_the_middle_of_a_replace_keeps_a_whole_graph(server: VirtuosoServer,
                                                                      store: SparqlGraphStore) -> None:
    a = f"{BASE}article/k"
    old, new = article("k", 100), article("k", 2500, "v2")
    store.replace_graph(a, old)
    server.checkpoint()  # old is in the database file, not only in the log
    outcome: list[Any] = []
    sending = threading.Event()
    update = store.client.update

    def announced_update(text: str, **kw: Any) -> None:
        sending.set()
        update(text, **kw)

    store.client.update = announced_update  # type: ignore[method-assign,assignment]

    def write() -> None:
        try:
            store.replace_graph(a, new)
            outcome.append("done")
        except HealthKGError as exc:
            outcome.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    assert sending.wait(60)
    time.sleep(0.3)  # the request is on its way; the server is parsing or running it
    server.kill()
    writer.join(120)
    server.start()
    got = content(store, a)
    if outcome == ["done"]:  # the server finished before it was killed
        assert got == as_set(new)
    else:
        assert isinstance(outcome[0], StoreUnavailable), outcome
        assert got == as_set(old)


def test_unclean_stop_after_replacing_with_the_same_triples_loses_nothing(server: VirtuosoServer,
                                                                         store: SparqlGraphStore) -> None:
    """Virtuoso replays a transaction that deletes and re-inserts the same quads wrongly
    after an unclean stop; the store's writes never do that (see kg.sparql_store)."""
    a, b = f"{BASE}article/same", f"{BASE}article/overlap"
    store.replace_graph(a, article("same", 200))
    store.replace_graph(b, article("overlap", 200))
    server.checkpoint()
    store.replace_graph(a, article("same", 200))  # unchanged article re-ingested
    overlap = article("overlap", 300)
    store.replace_graph(b, overlap)
    server.kill()  # no checkpoint: the restart replays the transaction log
    server.start()
    assert content(store, a) == as_set(article("same", 200))
    assert content(store, b) == as_set(overlap)


# --------------------------------------------------------------------------------------
# Down while querying, and back again

def test_reads_while_down_name_the_endpoint(server: VirtuosoServer, store: SparqlGraphStore) -> None:
    engine = server.engine()
    store.graph_iris()  # a pooled connection to a server about to go
    server.stop()
    for call in (store.graph_iris, store.count, lambda: store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
                 lambda: store.ask("ASK { }"), lambda: engine.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
                 lambda: engine.query("ASK { }", media_type=JSON)):
        with pytest.raises(StoreUnavailable, match=server.query_endpoint):
            call()
    with pytest.raises(StoreUnavailable, match="127.0.0.1"):
        engine.update(f"INSERT DATA {{ GRAPH <{BASE}g> {{ <{BASE}s> <{BASE}p> 1 }} }}")
    engine.close()


def test_the_same_objects_work_again_after_a_restart(server: VirtuosoServer, store: SparqlGraphStore) -> None:
    engine = server.engine()
    a = f"{BASE}article/r"
    store.replace_graph(a, article("r", 3))
    assert engine.select(f"SELECT ?s WHERE {{ GRAPH <{a}> {{ ?s ?p ?o }} }} LIMIT 1")
    server.stop()
    with pytest.raises(StoreUnavailable):
        store.count(a)
    with pytest.raises(StoreUnavailable):
        engine.query("ASK { }", media_type=JSON)
    server.start()
    assert store.count(a) == len(article("r", 3))
    store.replace_graph(a, article("r", 4, "v2"))
    assert content(store, a) == as_set(article("r", 4, "v2"))
    assert engine.query(f"ASK {{ GRAPH <{a}> {{ ?s ?p ?o }} }}", media_type=JSON).read() == \
        b'{"head":{},"boolean":true}'
    engine.update(f"INSERT DATA {{ GRAPH <{a}> {{ <{BASE}s> <{BASE}p> 1 }} }}")
    assert store.count(a) == len(article("r", 4)) + 1
    engine.close()


# --------------------------------------------------------------------------------------
# The engine's protocol behaviour against the remote server

def test_engine_syntax_error_carries_the_servers_message(server: VirtuosoServer) -> None:
    engine = server.engine()
    with pytest.raises(QuerySyntaxError, match="SP030") as info:
        engine.query("SELECT * WHERE { ?s ?p }", media_type=JSON)
    assert info.value.status == 400
    assert "SPARQL query:" not in info.value.message  # the echo of the query is cut
    with pytest.raises(QuerySyntaxError, match="SP030"):
        engine.update("INSERT DATA { GRAPH <urn:x> { <urn:s> <urn:p> } }")
    with pytest.raises(QuerySyntaxError, match="update"):
        engine.query("INSERT DATA { GRAPH <urn:x> { <urn:s> <urn:p> <urn:o> } }", media_type=JSON)
    with pytest.raises(QuerySyntaxError):
        engine.query("this is not SPARQL", media_type=JSON)
    engine.close()


def test_engine_timeout_comes_within_the_limit_plus_one_second(server: VirtuosoServer) -> None:
    engine = server.engine(timeout=1.0)
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as info:
        engine.query(heavy, media_type=JSON)
    assert time.monotonic() - started < 2.0
    assert info.value.status == 503
    assert engine.query("ASK { }", media_type=JSON).read() == b'{"head":{},"boolean":true}'
    engine.close()


def test_engine_read_only_refuses_updates_and_checks_media_types(server: VirtuosoServer) -> None:
    engine = server.engine(writable=False)
    with pytest.raises(Forbidden):
        engine.update(f"INSERT DATA {{ GRAPH <{BASE}g> {{ <{BASE}s> <{BASE}p> 1 }} }}")
    with pytest.raises(NotAcceptable):
        engine.query("ASK { }", media_type="text/csv")
    with pytest.raises(NotAcceptable):
        engine.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1", media_type="text/turtle")
    engine.close()


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib's JSON-LD parser
def test_engine_answers_in_every_media_type(server: VirtuosoServer, store: SparqlGraphStore) -> None:
    a = f"{BASE}article/m"
    g = Graph()
    g.add((URIRef(f"{BASE}s"), URIRef(f"{BASE}p"), Literal('say "hi"\nthere', lang="en")))
    g.add((URIRef(f"{BASE}s"), URIRef(f"{BASE}flag"), Literal(True)))
    store.replace_graph(a, g)
    engine = server.engine(base_iri=BASE)
    select = f"SELECT ?p ?o WHERE {{ GRAPH <{a}> {{ <s> ?p ?o }} }} ORDER BY ?p"
    answers = {m: engine.query(select, media_type=m) for m in (
        JSON, "application/sparql-results+xml", "text/csv", "text/tab-separated-values")}
    assert answers[JSON].media_type == JSON
    assert answers["text/csv"].media_type == "text/csv; charset=utf-8"
    body = answers[JSON].read().decode()
    assert f'{{"p":{{"type":"uri","value":"{BASE}flag"}},"o":{{"type":"literal","value":"true",' in body
    assert '"xml:lang":"en"' in body
    assert answers["text/csv"].read().decode().splitlines()[0] == "p,o"
    assert b"<literal datatype=" in answers["application/sparql-results+xml"].read()
    tsv = answers["text/tab-separated-values"].read().decode()
    assert f"<{BASE}flag>\ttrue\n" in tsv  # a Turtle-token boolean is bare, as pyoxigraph writes TSV
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{a}> {{ ?s ?p ?o }} }}"
    for media in ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"):
        parsed = Graph().parse(data=engine.query(construct, media_type=media).read(), format=media)
        assert set(parsed) == set(g), media
    xml = engine.query("ASK { }", media_type="application/sparql-results+xml").read()
    assert xml.endswith(b"<boolean>true</boolean></sparql>")
    engine.close()


def test_engine_protocol_dataset_arguments(server: VirtuosoServer, store: SparqlGraphStore) -> None:
    for name in ("x", "y"):
        store.replace_graph(f"{BASE}article/{name}", article(name, 2))
    engine = server.engine()
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{BASE}hasPart> ?o }}"
    one = engine.query(count, default_graph_uris=[f"{BASE}article/x"], media_type="text/csv").read()
    assert one.decode().split() == ["n", "2"]
    both = engine.query(count, media_type="text/csv").read()
    assert both.decode().split() == ["n", "4"]
    named = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s <{BASE}hasPart> ?o }} }}"
    got = engine.query(named, named_graph_uris=[f"{BASE}article/y"], media_type="text/csv").read()
    assert got.decode().split() == ["g", f"{BASE}article/y"]
    engine.close()
