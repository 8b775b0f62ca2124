"""One contract for every graph store backend: Oxigraph on disk and a remote SPARQL store
(Virtuoso from Debian's packages, started by ``tests.virtuoso``).

Each test takes the ``backend`` fixture (a :class:`tests.virtuoso.Backend`) and runs once
per backend; it writes its graphs under ``backend.base`` only. The tests at the end cover
what only the remote store has: requests, staging graph, credentials.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from kg.errors import HealthKGError, StoreUnavailable
from kg.sparql_store import STAGING_PREFIX, SparqlGraphStore, staging_graph
from tests.virtuoso import Backend, VirtuosoServer, backend, virtuoso

__all__ = ["backend", "virtuoso"]

OA = Namespace("http://www.w3.org/ns/oa#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # rdflib's XSD warns when pytest inspects it


def to_term(term: dict[str, Any]) -> Node:
    """A SPARQL-JSON term (as ``GraphStore.select`` returns it) as an rdflib term."""
    if term["type"] == "uri":
        return URIRef(term["value"])
    if term["type"] == "bnode":
        return BNode(term["value"])
    if "xml:lang" in term:
        return Literal(term["value"], lang=term["xml:lang"])
    if "datatype" in term:
        return Literal(term["value"], datatype=URIRef(term["datatype"]))
    return Literal(term["value"])


def article(b: Backend, name: str, n: int = 5, tag: str = "v1") -> Graph:
    """A small article-like graph: ``n`` sentences with text, offsets and a flag."""
    g = Graph()
    doc = URIRef(b.iri(f"article/{name}"))
    g.add((doc, URIRef(b.iri("headline")), Literal(f"{name} {tag}")))
    for i in range(n):
        s = URIRef(b.iri(f"article/{name}/sentence/{i}"))
        g.add((doc, URIRef(b.iri("hasPart")), s))
        g.add((s, URIRef(b.iri("anchorOf")), Literal(f"sentence {i} of {name} ({tag})")))
        g.add((s, URIRef(b.iri("beginIndex")), Literal(i * 10)))
        g.add((s, URIRef(b.iri("negated")), Literal(i % 2 == 0)))
    return g


def record_updates(store: SparqlGraphStore) -> list[str]:
    """The update requests the store sends from now on (they still go to the server)."""
    sent: list[str] = []
    update = store.client.update

    def recording(text: str, **kw: Any) -> None:
        sent.append(text)
        update(text, **kw)

    store.client.update = recording  # type: ignore[method-assign,assignment]
    return sent


def graph_content(b: Backend, graph_iri: str) -> set[tuple[Node, Node, Node]]:
    """The triples of one named graph, read back through ``select`` (no blank nodes)."""
    rows = b.store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}")
    return {(to_term(r["s"]), to_term(r["p"]), to_term(r["o"])) for r in rows}


# --------------------------------------------------------------------------------------
# Writing, replacing and dropping article graphs

def test_add_replace_and_drop_an_article_graph(backend: Backend) -> None:
    a = backend.iri("article/a")
    v1, v2 = article(backend, "a", 5, "v1"), article(backend, "a", 3, "v2")

    backend.store.replace_graph(a, v1)
    assert backend.store.graph_iris() == {a}
    assert backend.store.count(a) == len(v1) == 21
    assert graph_content(backend, a) == set(v1)

    backend.store.replace_graph(a, v2)
    assert backend.store.count(a) == len(v2)
    assert graph_content(backend, a) == set(v2)

    backend.store.drop_graph(a)
    assert backend.store.graph_iris() == set()
    assert backend.store.count(a) == 0
    backend.store.drop_graph(a)  # absent: no error


def test_counts_and_graph_iris_over_several_graphs(backend: Backend) -> None:
    graphs = {backend.iri(f"article/{n}"): article(backend, n, i + 1) for i, n in enumerate("abc")}
    for iri, g in graphs.items():
        backend.store.replace_graph(iri, g)
    assert backend.store.graph_iris() == set(graphs)
    assert backend.store.count() == sum(len(g) for g in graphs.values())
    for iri, g in graphs.items():
        assert backend.store.count(iri) == len(g)
    backend.store.drop_graph(backend.iri("article/b"))
    assert backend.store.graph_iris() == set(graphs) - {backend.iri("article/b")}
    assert backend.store.count() == len(graphs[backend.iri("article/a")]) + len(graphs[backend.iri("article/c")])


def test_replacing_with_the_same_or_an_overlapping_graph(backend: Backend) -> None:
    a = backend.iri("article/a")
    v1 = article(backend, "a", 6)
    backend.store.replace_graph(a, v1)
    backend.store.replace_graph(a, v1)  # re-ingesting an unchanged article
    assert graph_content(backend, a) == set(v1)
    overlap = article(backend, "a", 6)
    overlap.remove((None, URIRef(backend.iri("negated")), None))
    overlap.add((URIRef(a), URIRef(backend.iri("note")), Literal("new")))
    backend.store.replace_graph(a, overlap)
    assert graph_content(backend, a) == set(overlap)


def test_replacing_with_an_empty_graph_drops_it(backend: Backend) -> None:
    a = backend.iri("article/a")
    backend.store.replace_graph(a, article(backend, "a"))
    backend.store.replace_graph(a, Graph())
    assert backend.store.graph_iris() == set()
    assert backend.store.count() == 0


def test_other_graphs_are_untouched_by_a_replace(backend: Backend) -> None:
    a, b = backend.iri("article/a"), backend.iri("article/b")
    ga, gb = article(backend, "a"), article(backend, "b")
    backend.store.replace_graph(a, ga)
    backend.store.replace_graph(b, gb)
    # The same triples in both graphs: replacing one must not take them from the other.
    shared = (URIRef(backend.iri("shared")), URIRef(backend.iri("p")), Literal("in both"))
    ga.add(shared)
    gb.add(shared)
    backend.store.replace_graph(a, ga)
    backend.store.replace_graph(b, gb)
    backend.store.replace_graph(a, article(backend, "a", 1))
    assert graph_content(backend, b) == set(gb)


# --------------------------------------------------------------------------------------
# Terms

ROUND_TRIPS: list[tuple[str, Literal]] = [
    ("integer", Literal(12)),
    ("negative-integer", Literal(-7)),
    ("true", Literal(True)),
    ("false", Literal(False)),
    ("non-negative-integer", Literal("7", datatype=XSD.nonNegativeInteger)),
    ("zero-non-negative-integer", Literal("0", datatype=XSD.nonNegativeInteger)),
    ("int", Literal("42", datatype=XSD.int)),
    ("date", Literal("2024-01-01", datatype=XSD.date)),
    ("datetime", Literal("2024-01-01T10:00:00Z", datatype=XSD.dateTime)),
    ("decimal", Literal(Decimal("1.5"))),
    ("double", Literal("1.5E0", datatype=XSD.double)),
    ("plain", Literal("Botox injections do not cause hair loss.")),
    ("language", Literal("hair loss", lang="en")),
    ("region-language", Literal("colour", lang="en-gb")),
    ("empty", Literal("")),
    ("quotes", Literal('she said "no" and it\'s "fine"')),
    ("backslashes", Literal("C:\\path\\to \\n not a newline \\u0041")),
    ("newlines-and-tabs", Literal("line one\nline two\r\n\ttabbed")),
    ("triple-quotes", Literal('""" and \'\'\' inside')),
    ("unicode", Literal("Ärztin – naïve café, 日本語, ελληνικά, emoji 🧪💉")),
    ("custom-datatype", Literal("x-1", datatype=URIRef("https://healthkg.test/datatype"))),
    ("long", Literal("word " * 20000)),
]


# Oxigraph 0.5 stores every type derived from xsd:integer as xsd:integer (and
# xsd:dateTimeStamp as xsd:dateTime); Virtuoso keeps the datatype written.
OXIGRAPH_CANONICAL = {XSD.nonNegativeInteger: XSD.integer, XSD.int: XSD.integer, XSD.long: XSD.integer}


def test_literals_and_datatypes_come_back_equal(backend: Backend) -> None:
    a = backend.iri("article/terms")
    p = URIRef(backend.iri("value"))
    g = Graph()
    for key, literal in ROUND_TRIPS:
        g.add((URIRef(backend.iri(f"term/{key}")), p, literal))
    backend.store.replace_graph(a, g)
    rows = backend.store.select(f"SELECT ?k ?v WHERE {{ GRAPH <{a}> {{ ?k <{p}> ?v }} }}")
    got = {r["k"]["value"].rsplit("/", 1)[1]: cast(Literal, to_term(r["v"])) for r in rows}
    assert len(got) == len(ROUND_TRIPS)
    for key, literal in ROUND_TRIPS:
        expected = literal
        if backend.name == "oxigraph" and literal.datatype in OXIGRAPH_CANONICAL:
            expected = Literal(str(literal), datatype=OXIGRAPH_CANONICAL[literal.datatype])
        assert got[key] == expected, key
        assert (got[key].datatype, got[key].language) == (expected.datatype, expected.language), key
        assert got[key].eq(literal), key


def test_an_explicit_xsd_string_comes_back_as_a_plain_literal(backend: Backend) -> None:
    a = backend.iri("article/string")
    g = Graph()
    g.add((URIRef(backend.iri("s")), URIRef(backend.iri("p")), Literal("x", datatype=XSD.string)))
    backend.store.replace_graph(a, g)
    (row,) = backend.store.select(f"SELECT ?o WHERE {{ GRAPH <{a}> {{ ?s ?p ?o }} }}")
    assert row["o"] == {"type": "literal", "value": "x"}


def test_unicode_iris_and_literals_in_queries(backend: Backend) -> None:
    a = backend.iri("article/unicode")
    s = URIRef(backend.iri("concept/café-Ärztin"))
    g = Graph()
    g.add((s, URIRef(backend.iri("label")), Literal("Café « Ärztin » 🧪", lang="fr")))
    backend.store.replace_graph(a, g)
    rows = backend.store.select(f'SELECT ?s WHERE {{ ?s <{backend.iri("label")}> "Café « Ärztin » 🧪"@fr }}')
    assert [to_term(r["s"]) for r in rows] == [s]
    assert backend.store.ask(f'ASK {{ <{s}> ?p "Café « Ärztin » 🧪"@fr }}')


def test_typed_values_match_in_filters(backend: Backend) -> None:
    a = backend.iri("article/a")
    backend.store.replace_graph(a, article(backend, "a", 6))
    rows = backend.store.select(f"""SELECT ?s WHERE {{
        ?s <{backend.iri("beginIndex")}> ?b ; <{backend.iri("negated")}> true . FILTER(?b >= 20) }}
        ORDER BY ?s""")
    assert [r["s"]["value"].rsplit("/", 1)[1] for r in rows] == ["2", "4"]


def test_blank_nodes_round_trip_and_are_replaced_not_duplicated(backend: Backend) -> None:
    a = backend.iri("article/a")
    claim = URIRef(backend.iri("article/a/claim/0"))
    g = Graph()
    for n in range(3):
        target, position, quote = BNode(), BNode(), BNode()
        g.add((URIRef(f"{claim}{n}"), OA.hasTarget, target))
        g.add((target, OA.hasSource, URIRef(backend.iri("article/a/text"))))
        g.add((target, OA.hasSelector, position))
        g.add((target, OA.hasSelector, quote))
        g.add((position, OA.start, Literal(10 * n)))
        g.add((position, OA.end, Literal(10 * n + 5)))
        g.add((quote, OA.exact, Literal(f"quote {n}")))
    for _ in range(2):
        backend.store.replace_graph(a, g)
        assert backend.store.count(a) == len(g) == 21
    rows = backend.store.select(f"""PREFIX oa: <{OA}>
        SELECT ?c ?start ?exact WHERE {{ GRAPH <{a}> {{
          ?c oa:hasTarget ?t . ?t oa:hasSelector ?p, ?q . ?p oa:start ?start . ?q oa:exact ?exact }} }}
        ORDER BY ?c""")
    assert [(r["c"]["value"][-1], r["start"]["value"], r["exact"]["value"]) for r in rows] == [
        ("0", "0", "quote 0"), ("1", "10", "quote 1"), ("2", "20", "quote 2")]
    assert all(r["c"]["type"] == "uri" for r in rows)


# --------------------------------------------------------------------------------------
# Queries over the union of the named graphs

def test_select_and_ask_see_the_union_of_the_named_graphs(backend: Backend) -> None:
    for name in ("a", "b"):
        backend.store.replace_graph(backend.iri(f"article/{name}"), article(backend, name, 2))
    headline = backend.iri("headline")
    rows = backend.store.select(f"SELECT ?doc ?h WHERE {{ ?doc <{headline}> ?h }} ORDER BY ?h")
    assert [r["h"]["value"] for r in rows] == ["a v1", "b v1"]
    rows = backend.store.select(f"""SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{headline}> ?h }} }}
                                    GROUP BY ?g ORDER BY ?g""")
    assert [(r["g"]["value"], r["n"]["value"]) for r in rows] == [
        (backend.iri("article/a"), "1"), (backend.iri("article/b"), "1")]
    assert backend.store.ask(f'ASK {{ ?doc <{headline}> "b v1" }}')
    assert not backend.store.ask(f'ASK {{ ?doc <{headline}> "c v1" }}')


def test_optional_unbound_values_are_left_out_of_rows(backend: Backend) -> None:
    backend.store.replace_graph(backend.iri("article/a"), article(backend, "a", 1))
    rows = backend.store.select(f"""SELECT ?doc ?missing WHERE {{ ?doc <{backend.iri("headline")}> ?h
                                    OPTIONAL {{ ?doc <{backend.iri("nothing")}> ?missing }} }}""")
    assert rows == [{"doc": {"type": "uri", "value": backend.iri("article/a")}}]


# --------------------------------------------------------------------------------------
# A replace that fails leaves the old graph whole

def test_a_malformed_graph_is_refused_and_the_old_graph_stays(backend: Backend) -> None:
    a = backend.iri("article/a")
    old = article(backend, "a", 4)
    backend.store.replace_graph(a, old)
    bad = article(backend, "a", 8, "v2")
    bad.add((URIRef(backend.iri("s")), URIRef(backend.iri("p")), URIRef("http://bad iri/with spaces")))
    with pytest.raises(Exception):  # noqa: B017 - each backend has its own error for it
        backend.store.replace_graph(a, bad)
    assert graph_content(backend, a) == set(old)
    assert backend.store.graph_iris() == {a}


def test_a_graph_iri_that_is_not_an_iri_is_refused(backend: Backend) -> None:
    with pytest.raises(Exception):  # noqa: B017
        backend.store.replace_graph("not an iri", article(backend, "a"))
    assert backend.store.count() == 0


# --------------------------------------------------------------------------------------
# The remote store only

@pytest.fixture
def remote(virtuoso: VirtuosoServer) -> Any:
    base = "https://healthkg.test/remote/"
    stores: list[SparqlGraphStore] = []

    def make(**kw: Any) -> SparqlGraphStore:
        stores.append(virtuoso.store(graph_prefixes=(base,), **kw))
        return stores[-1]

    make.base = base  # type: ignore[attr-defined]
    yield make
    for store in stores:
        for iri in store.graph_iris():
            store.drop_graph(iri)
        store.close()


def test_remote_graph_larger_than_one_request_is_staged_then_patched(remote: Any, virtuoso: VirtuosoServer) -> None:
    store = remote(max_request_bytes=20_000, chunk_triples=50)
    b = Backend("virtuoso", store, remote.base)
    a = b.iri("article/big")
    g = article(b, "big", 300)
    bnode = BNode()
    g.add((URIRef(a), OA.hasTarget, bnode))
    g.add((bnode, OA.exact, Literal("x")))
    sent = record_updates(store)
    store.replace_graph(a, g)
    assert len(sent) > 5
    assert store.count(a) == len(g) == 1203
    staging = staging_graph(a)
    assert virtuoso.store().count(staging) == 0
    assert not any(iri.startswith(STAGING_PREFIX) for iri in store.graph_iris())


def test_remote_write_is_one_request_when_it_fits(remote: Any) -> None:
    store = remote()
    b = Backend("virtuoso", store, remote.base)
    sent = record_updates(store)
    store.replace_graph(b.iri("article/a"), article(b, "a", 1500))
    assert len(sent) == 1
    assert sent[0].count("INSERT DATA") == 7  # 6001 triples in blocks of 1000


def test_remote_runtime_error_mid_request_leaves_the_old_graph(remote: Any, virtuoso: VirtuosoServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Virtuoso commits the operations that ran before a run-time error: the staging order
    keeps the article graph out of reach until the last operations."""
    import kg.sparql_store as sparql_store

    store = remote()
    b = Backend("virtuoso", store, remote.base)
    a = b.iri("article/a")
    old = article(b, "a", 4)
    store.replace_graph(a, old)
    virtuoso.store().client.update("CREATE SILENT GRAPH <urn:x-healthkg:test:exists>")
    patch = sparql_store.patch_operations
    monkeypatch.setattr(sparql_store, "patch_operations", lambda g, s: [
        "CREATE GRAPH <urn:x-healthkg:test:exists>", *patch(g, s)])  # fails at run time
    with pytest.raises(StoreUnavailable):
        store.replace_graph(a, article(b, "a", 9, "v2"))
    assert graph_content(b, a) == set(old)
    assert virtuoso.store().count(staging_graph(a)) == 0


def test_remote_literal_the_server_refuses_leaves_the_old_graph(remote: Any) -> None:
    """Virtuoso keeps integers in 64 bits: a larger one is refused (SR341), whole."""
    store = remote()
    b = Backend("virtuoso", store, remote.base)
    a = b.iri("article/a")
    old = article(b, "a", 3)
    store.replace_graph(a, old)
    new = article(b, "a", 5, "v2")
    new.add((URIRef(a), URIRef(b.iri("big")), Literal(12345678901234567890)))
    with pytest.raises(HealthKGError, match="SR341"):
        store.replace_graph(a, new)
    assert graph_content(b, a) == set(old)


def test_remote_reads_need_no_credentials_and_writes_need_them(virtuoso: VirtuosoServer) -> None:
    anonymous = SparqlGraphStore(virtuoso.query_endpoint, virtuoso.update_endpoint)
    wrong = SparqlGraphStore(virtuoso.query_endpoint, virtuoso.update_endpoint, user="healthkg", password="nope")
    g = Graph()
    g.add((URIRef("https://healthkg.test/auth/s"), URIRef("https://healthkg.test/auth/p"), Literal(1)))
    try:
        assert anonymous.ask("ASK { }")
        for store in (anonymous, wrong):
            with pytest.raises(StoreUnavailable, match="refused the credentials"):
                store.replace_graph("https://healthkg.test/auth/g", g)
        readonly = SparqlGraphStore(virtuoso.query_endpoint)  # updates sent to /sparql
        with pytest.raises(HealthKGError, match="SR186|permission"):
            readonly.replace_graph("https://healthkg.test/auth/g", g)
        readonly.close()
        assert anonymous.count("https://healthkg.test/auth/g") == 0
    finally:
        anonymous.close()
        wrong.close()


def test_remote_graph_prefixes_hide_the_servers_own_graphs(virtuoso: VirtuosoServer) -> None:
    everything = virtuoso.store()
    assert "http://www.openlinksw.com/schemas/virtrdf#" in everything.graph_iris()
    owned = virtuoso.store(graph_prefixes=("https://healthkg.test/nothing-here/",))
    assert owned.graph_iris() == set()
    assert owned.count() == 0
    everything.close()
    owned.close()
