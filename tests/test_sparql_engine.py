"""kg.engine in process: the lexer helpers, datasets, formats, caps, switch, updates."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest

from kg.engine import OxigraphEngine, apply_using, has_dataset_clause
from kg.errors import BadRequest, Forbidden, NotAcceptable, QuerySyntaxError, QueryTimeout
from tests.sparql_support import ARTICLE, BASE, VOCABULARY, make_big_store, make_fixture_store

JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphEngine]:
    store = make_fixture_store(tmp_path_factory.mktemp("engine") / "store")
    eng = OxigraphEngine(store, workers=2, timeout=10, max_rows=1000, base_iri=BASE)
    yield eng
    eng.close()


def rows(engine: OxigraphEngine, query: str, **kw: object) -> list[dict]:
    body = engine.query(query, media_type=JSON, **kw).read()  # type: ignore[arg-type]
    return json.loads(body)["results"]["bindings"]


@pytest.mark.parametrize(("update", "using", "named", "expected"), [
    ("INSERT { ?s a <x:T> } WHERE { ?s ?p ?o }", ["http://g/1"], [],
     "INSERT { ?s a <x:T> } USING <http://g/1> WHERE { ?s ?p ?o }"),
    ("insert { ?s a <x:T> } where { ?s ?p ?o }", [], ["http://g/2"],
     "insert { ?s a <x:T> } USING NAMED <http://g/2> where { ?s ?p ?o }"),
    ("DELETE WHERE { ?s ?p ?o }", ["http://g/1"], [],
     "DELETE { ?s ?p ?o } USING <http://g/1> WHERE { ?s ?p ?o }"),
    ("CLEAR ALL ; INSERT DATA { <a> <b> 'WHERE' }", ["http://g/1"], [],
     "CLEAR ALL ; INSERT DATA { <a> <b> 'WHERE' }"),
    ("INSERT { ?s <p> ?o } WHERE { { SELECT ?s ?o WHERE { ?s ?q ?o } } }", ["http://g/1"], [],
     "INSERT { ?s <p> ?o } USING <http://g/1> WHERE { { SELECT ?s ?o WHERE { ?s ?q ?o } } }"),
    ("INSERT DATA { <a> <b> <c> } ; DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", [], [],
     "INSERT DATA { <a> <b> <c> } ; DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"),
])
def test_apply_using(update: str, using: list[str], named: list[str], expected: str) -> None:
    assert apply_using(update, using, named) == expected


@pytest.mark.parametrize("update", [
    "WITH <http://g/1> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "INSERT { ?s ?p ?o } USING <http://g/1> WHERE { ?s ?p ?o }",
])
def test_apply_using_refuses_a_conflict(update: str) -> None:
    with pytest.raises(BadRequest):
        apply_using(update, ["http://g/2"], [])


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * FROM <http://g> { ?s ?p ?o }", True),
    ("SELECT * FROM NAMED <http://g> { GRAPH ?g { ?s ?p ?o } }", True),
    ("SELECT * { ?s <http://ex/from> 'FROM' } # FROM", False),
    ("SELECT ?from { ?from ?p ?o }", False),
])
def test_has_dataset_clause(query: str, expected: bool) -> None:
    assert has_dataset_clause(query) is expected


def test_default_graph_is_the_union_of_named_graphs(engine: OxigraphEngine) -> None:
    found = rows(engine, "SELECT DISTINCT ?s WHERE { ?s a ?t }")
    subjects = {r["s"]["value"] for r in found}
    assert ARTICLE in subjects  # from the article graph
    assert "https://w3id.org/healthkg/concept/hair-loss" in subjects  # from the vocabulary


def test_from_overrides_the_union(engine: OxigraphEngine) -> None:
    found = rows(engine, f"SELECT DISTINCT ?s FROM <{VOCABULARY}> WHERE {{ ?s ?p ?o }}")
    assert found and all("/concept/" in r["s"]["value"] for r in found)


def test_protocol_dataset_overrides_from(engine: OxigraphEngine) -> None:
    query = f"SELECT DISTINCT ?s FROM <{VOCABULARY}> WHERE {{ ?s a <http://schema.org/Article> }}"
    assert rows(engine, query) == []
    assert rows(engine, query, default_graph_uris=[ARTICLE]) == [
        {"s": {"type": "uri", "value": ARTICLE}}]


def test_named_graph_uris_restrict_graph(engine: OxigraphEngine) -> None:
    found = rows(engine, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                 named_graph_uris=[VOCABULARY])
    assert [r["g"]["value"] for r in found] == [VOCABULARY]


def test_invalid_graph_iri_is_bad_request(engine: OxigraphEngine) -> None:
    with pytest.raises(BadRequest):
        engine.query("ASK {}", media_type=JSON, default_graph_uris=["not an iri"])


def test_syntax_error_carries_the_parser_message(engine: OxigraphEngine) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        engine.query("SELECT * WHERE { ?s ?p }", media_type=JSON)
    assert "error at 1:" in info.value.message and info.value.status == 400


def test_media_type_must_fit_the_form(engine: OxigraphEngine) -> None:
    with pytest.raises(NotAcceptable):
        engine.query("SELECT * {}", media_type="text/turtle")
    assert rows(engine, "SELECT (1 AS ?one) {}")[0]["one"]["value"] == "1"  # worker still fine


def test_xml_csv_tsv_results(engine: OxigraphEngine) -> None:
    query = (f'SELECT ?name ?topic WHERE {{ <{BASE}person/olivia-thompson> <http://schema.org/name> ?name ; '
             f'<http://schema.org/knowsAbout> ?topic }} ORDER BY ?topic')
    xml = engine.query(query, media_type="application/sparql-results+xml")
    assert xml.media_type == "application/sparql-results+xml"
    ns = "{http://www.w3.org/2005/sparql-results#}"
    tree = ElementTree.fromstring(xml.read())
    assert len(tree.findall(f"{ns}results/{ns}result")) == 2
    out = engine.query(query, media_type="text/csv")
    assert out.media_type == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(out.read().decode())))
    assert table == [["name", "topic"], ["Olivia Thompson", "Botox treatments"],
                     ["Olivia Thompson", "medical dermatology"]]
    tsv = engine.query(query, media_type="text/tab-separated-values").read().decode()
    assert tsv.splitlines()[:2] == ["?name\t?topic", '"Olivia Thompson"\t"Botox treatments"']


def test_language_tags_and_datatypes_in_json(engine: OxigraphEngine) -> None:
    found = rows(engine, "SELECT ?l ?y WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l "
                         "FILTER(STR(?l) = 'hair loss') BIND(12 AS ?y) }")
    assert found == [{"l": {"type": "literal", "value": "hair loss", "xml:lang": "en"},
                      "y": {"type": "literal", "value": "12",
                            "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]


# Every kind of term a solution can hold, SPARQL 1.2 ones included (issue 12: the direction of
# STRLANGDIR was lost in JSON and XML, triple terms in TSV were not in the standard form).
TERMS_QUERY = """SELECT ?number ?iri ?plain ?lang ?dir ?ltr ?typed ?odd ?triple ?nested ?bnode ?unbound WHERE {
  BIND(<http://example.org/a%20b> AS ?iri) BIND("plain" AS ?plain) BIND(STRLANG("hello", "en-GB") AS ?lang)
  BIND(STRLANGDIR("abc", "ar", "rtl") AS ?dir) BIND(STRLANGDIR("abc", "en", "ltr") AS ?ltr)
  BIND(12 AS ?typed) BIND("tab\\t, comma \\"quoted\\"\\nnew line" AS ?odd)
  BIND(TRIPLE(<http://example.org/s>, <http://example.org/p>, STRLANGDIR("abc", "ar", "rtl")) AS ?triple)
  BIND(TRIPLE(<http://example.org/s>, <http://example.org/p>, TRIPLE(<http://example.org/s>,
       <http://example.org/q>, 1)) AS ?nested)
  BIND(BNODE("b") AS ?bnode) }
  VALUES ?number { 1.5 -7 "1e3"^^<http://www.w3.org/2001/XMLSchema#double> true "1"^^<http://www.w3.org/2001/XMLSchema#decimal>
                   "abc"^^<http://www.w3.org/2001/XMLSchema#integer> "1.5"^^<http://www.w3.org/2001/XMLSchema#float> }"""
RESULT_FORMATS = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
                  "application/sparql-results+xml": ox.QueryResultsFormat.XML,
                  "text/csv": ox.QueryResultsFormat.CSV, "text/tab-separated-values": ox.QueryResultsFormat.TSV}


def _xml_terms(data: bytes) -> list[list[tuple[str, str, dict[str, str], str]]]:
    ns = "{http://www.w3.org/2005/sparql-results#}"
    return [[(b.get("name") or "", e.tag, dict(e.attrib), e.text or "") for b in r.findall(f"{ns}binding")
             for e in b.iter() if e is not b]
            for r in ElementTree.fromstring(data).iter(f"{ns}result")]


@pytest.mark.parametrize("media", list(RESULT_FORMATS))
def test_solution_writers_match_pyoxigraph(media: str) -> None:
    """Our solution writers (which must cap and check before writing) say what pyoxigraph's own
    serialisers say, term for term: directions as its:dir, triple terms as <<( s p o )>>."""
    from kg.engine import _SOLUTION_WRITERS

    store = ox.Store()
    solutions = store.query(TERMS_QUERY)
    names = [v.value for v in solutions.variables]
    ours = b"".join(_SOLUTION_WRITERS[media](names, list(solutions)))
    theirs = store.query(TERMS_QUERY).serialize(format=RESULT_FORMATS[media])
    assert theirs is not None
    if media.endswith("json"):
        assert json.loads(ours) == json.loads(theirs)
    elif media.endswith("xml"):
        assert _xml_terms(ours) == _xml_terms(theirs)
    elif media == "text/csv":
        assert list(csv.reader(io.StringIO(ours.decode()))) == list(csv.reader(io.StringIO(theirs.decode())))
    else:
        assert ours.decode().splitlines() == theirs.decode().splitlines()


def test_language_direction_through_the_engine(engine: OxigraphEngine) -> None:
    query = 'SELECT ?x WHERE { BIND(STRLANGDIR("abc", "ar", "rtl") AS ?x) }'
    assert rows(engine, query) == [{"x": {"type": "literal", "value": "abc", "xml:lang": "ar", "its:dir": "rtl"}}]
    xml = engine.query(query, media_type="application/sparql-results+xml").read()
    literal = ElementTree.fromstring(xml).find(".//{http://www.w3.org/2005/sparql-results#}literal")
    assert literal is not None and literal.text == "abc"
    assert literal.get("{http://www.w3.org/2005/11/its}dir") == "rtl"
    assert literal.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    tsv = engine.query("SELECT ?t WHERE { BIND(TRIPLE(<http://e/s>, <http://e/p>, 'o') AS ?t) }",
                       media_type="text/tab-separated-values").read().decode()
    assert tsv.splitlines() == ["?t", '<<( <http://e/s> <http://e/p> "o" )>>']


@pytest.mark.parametrize(("media", "fmt"), [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/ld+json", ox.RdfFormat.JSON_LD)])
def test_construct_formats_parse_back(engine: OxigraphEngine, media: str, fmt: ox.RdfFormat) -> None:
    out = engine.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VOCABULARY}> {{ ?s ?p ?o }} }}",
                       media_type=media)
    assert out.kind == "graph"
    triples = list(ox.parse(out.read(), fmt))
    assert len(triples) == 9


def test_select_rows_for_internal_lookups(engine: OxigraphEngine) -> None:
    found = engine.select("SELECT ?n WHERE { ?p <http://schema.org/name> ?n }")
    assert found == [{"n": {"type": "literal", "value": "Olivia Thompson"}}]


def test_read_only_engine_refuses_updates(engine: OxigraphEngine) -> None:
    with pytest.raises(Forbidden):
        engine.update("CLEAR ALL")


def test_row_cap_and_streaming_in_chunks(tmp_path: Path) -> None:
    store = make_big_store(tmp_path / "big", triples=5000)
    eng = OxigraphEngine(store, workers=1, timeout=10, max_rows=4000)
    try:
        out = eng.query("SELECT ?s ?o WHERE { ?s ?p ?o }", media_type=JSON)
        chunks = list(out.chunks)
        assert len(chunks) > 1  # more than one 64 KiB chunk: the answer streams
        assert len(json.loads(b"".join(chunks))["results"]["bindings"]) == 4000
        graph = eng.query("CONSTRUCT WHERE { ?s ?p ?o }", media_type="application/n-triples").read()
        assert len(graph.splitlines()) == 4000
    finally:
        eng.close()


def test_abandoned_stream_frees_its_worker(tmp_path: Path) -> None:
    store = make_big_store(tmp_path / "big", triples=5000)
    eng = OxigraphEngine(store, workers=1, timeout=10, max_rows=100_000)
    try:
        out = eng.query("SELECT * WHERE { ?s ?p ?o }", media_type=JSON)
        next(out.chunks)
        out.chunks.close()  # type: ignore[attr-defined]  # the client went away
        assert rows(eng, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")[0]["n"]["value"] == "5000"
    finally:
        eng.close()


def test_timeout_kills_the_query_and_the_pool_recovers(tmp_path: Path) -> None:
    store = make_big_store(tmp_path / "big", triples=2000)
    eng = OxigraphEngine(store, workers=1, timeout=1, max_rows=10)
    try:
        with pytest.raises(QueryTimeout) as info:
            eng.query("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", media_type=JSON)
        assert info.value.status == 503
        assert rows(eng, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")[0]["n"]["value"] == "2000"
    finally:
        eng.close()


def test_switch_moves_to_the_new_generation_gracefully(tmp_path: Path) -> None:
    old = make_big_store(tmp_path / "gen1", triples=5000)
    new = make_fixture_store(tmp_path / "gen2")
    eng = OxigraphEngine(old, workers=1, timeout=10)
    try:
        in_flight = eng.query("SELECT * WHERE { ?s ?p ?o }", media_type=JSON)
        eng.switch(new)
        body = in_flight.read()  # the query started before the switch finishes on gen1
        assert len(json.loads(body)["results"]["bindings"]) == 5000
        assert rows(eng, "SELECT ?n WHERE { ?p <http://schema.org/name> ?n }")[0]["n"]["value"] == "Olivia Thompson"
    finally:
        eng.close()


def test_writable_engine_updates_with_using(tmp_path: Path) -> None:
    store = make_fixture_store(tmp_path / "rw")
    eng = OxigraphEngine(store, writable=True, timeout=10, base_iri=BASE)
    try:
        eng.update("INSERT { GRAPH <http://ex/out> { ?c a <http://ex/Vocab> } } WHERE { ?c ?p ?o }",
                   using_graph_uris=[VOCABULARY])
        found = rows(eng, "SELECT DISTINCT ?c WHERE { GRAPH <http://ex/out> { ?c ?p ?o } }")
        assert len(found) == 3 and all("/concept/" in r["c"]["value"] for r in found)
        eng.update("INSERT DATA { GRAPH <http://ex/b> { <http://ex/s> <http://ex/p> <rel> } }")
        assert rows(eng, "SELECT ?o { GRAPH <http://ex/b> { ?s ?p ?o } }")[0]["o"]["value"] == f"{BASE}rel"
        with pytest.raises(QuerySyntaxError):
            eng.update("CLEAR XYZ")
    finally:
        eng.close()


def test_a_runaway_query_kills_only_its_capped_worker(tmp_path: Path) -> None:
    """A sorted cross product grows a worker by gigabytes; under the memory cap the worker dies,
    the client gets StoreUnavailable (503), and the replaced worker answers the next query."""
    from kg.errors import StoreUnavailable

    store = make_big_store(tmp_path / "big", triples=5000)
    eng = OxigraphEngine(store, workers=1, timeout=60, max_rows=1000, memory_mb=300)
    try:
        with pytest.raises(StoreUnavailable, match="worker died"):
            eng.query("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 1", media_type=JSON).read()
        assert rows(eng, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")[0]["n"]["value"] == "5000"
    finally:
        eng.close()


def test_a_remote_stores_direction_survives() -> None:
    """A remote store's its:dir is kept on the way into our writers (the remote engine reuses them)."""
    from kg.engine import term_json
    from kg.remote_engine import _ox_term
    from kg.sparql_store import normalise_term

    given = {"type": "literal", "value": "abc", "xml:lang": "AR", "its:dir": "rtl"}
    term = _ox_term(normalise_term(given))
    assert term_json(term) == {"type": "literal", "value": "abc", "xml:lang": "ar", "its:dir": "rtl"}


def test_updates_mode_keeps_reads_responsive(tmp_path: Path) -> None:
    """With updates enabled, queries run on read-only workers over a checkpoint, not on the
    writer: an ASK {} does not wait behind a query that runs into its timeout (issue 12: 9.3 s)."""
    import threading
    import time

    store = make_big_store(tmp_path / "big", triples=2000)
    eng = OxigraphEngine(store, writable=True, workers=2, timeout=3, max_rows=10)
    slow: list[BaseException] = []

    def run_slow() -> None:
        try:
            eng.query("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", media_type=JSON).read()
        except BaseException as exc:  # noqa: B036 - handed to the test thread
            slow.append(exc)

    try:
        thread = threading.Thread(target=run_slow)
        thread.start()
        time.sleep(0.5)  # the slow query is running
        started = time.monotonic()
        assert json.loads(eng.query("ASK {}", media_type=JSON).read())["boolean"] is True
        eng.update("INSERT DATA { GRAPH <http://ex/g> { <http://ex/s> <http://ex/p> 1 } }")
        assert rows(eng, "SELECT ?o { GRAPH <http://ex/g> { ?s ?p ?o } }")[0]["o"]["value"] == "1"
        assert time.monotonic() - started < 2.0  # none of it queued behind the slow query
        thread.join(10)
        assert len(slow) == 1 and isinstance(slow[0], QueryTimeout)
        assert rows(eng, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")[0]["n"]["value"] == "2001"
    finally:
        eng.close()


def test_updates_mode_checkpoints_are_cleaned_up(tmp_path: Path) -> None:
    (tmp_path / "gen").mkdir()
    store = make_fixture_store(tmp_path / "gen" / "store")
    eng = OxigraphEngine(store, writable=True, workers=2, timeout=10)
    try:
        for i in range(3):
            eng.update(f"INSERT DATA {{ GRAPH <http://ex/g> {{ <http://ex/s> <http://ex/p> {i} }} }}")
        assert len(list((tmp_path / "gen").glob(".reads-*"))) == 1  # only the readers' current one
        assert len(rows(eng, "SELECT ?o { GRAPH <http://ex/g> { ?s ?p ?o } }")) == 3
    finally:
        eng.close()
    assert not list((tmp_path / "gen").glob(".reads-*"))
    reopened = ox.Store.read_only(str(store))  # the updates are in the store itself
    assert len(list(reopened.quads_for_pattern(None, None, None, ox.NamedNode("http://ex/g")))) == 3
