"""Accept negotiation and query-form detection: pure functions, tested by tables."""

from __future__ import annotations

import pytest

from api.negotiation import negotiate, parse_accept, result_media_type
from kg.engine import query_form
from kg.errors import NotAcceptable

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TTL = "text/turtle"
NT = "application/n-triples"
RDFXML = "application/rdf+xml"
JSONLD = "application/ld+json"

SELECT_CASES = [
    (None, JSON),
    ("", JSON),
    ("*/*", JSON),
    ("application/sparql-results+json", JSON),
    ("application/sparql-results+xml", XML),
    ("application/json", JSON),
    ("application/xml", XML),
    ("text/xml", XML),
    ("text/csv", CSV),
    ("text/tab-separated-values", TSV),
    ("text/*", CSV),
    ("text/csv;q=0.5, text/tab-separated-values", TSV),
    ("application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.8", XML),
    ("application/sparql-results+json,*/*;q=0.9", JSON),  # YASGUI
    ("text/html, */*;q=0.1", JSON),
    ("*/*, text/csv", CSV),  # an explicit type beats the wildcard at equal q
    ("TEXT/CSV", CSV),
    ("application/sparql-results+xml; charset=utf-8", XML),
    ("text/csv;q=0, */*", JSON),
    ("text/csv; q=abc, application/sparql-results+xml", XML),  # a malformed q counts as 0
]

GRAPH_CASES = [
    (None, TTL),
    ("*/*", TTL),
    ("text/turtle", TTL),
    ("application/n-triples", NT),
    ("text/plain", NT),
    ("application/rdf+xml", RDFXML),
    ("application/xml", RDFXML),
    ("application/ld+json", JSONLD),
    ("application/json", JSONLD),
    ("application/rdf+xml, text/turtle;q=0.5", RDFXML),  # rdflib's SPARQLStore default
    ("application/*", NT),
    ("text/turtle;q=0.1, application/n-triples;q=0.2", NT),
]

NOT_ACCEPTABLE = [
    ("solutions", "text/turtle"),
    ("solutions", "image/png"),
    ("solutions", "text/csv;q=0"),
    ("boolean", "text/csv"),
    ("graph", "application/sparql-results+json"),
    ("graph", "text/html"),
]


@pytest.mark.parametrize(("accept", "expected"), SELECT_CASES)
def test_select_negotiation(accept: str | None, expected: str) -> None:
    assert result_media_type("solutions", accept) == expected


@pytest.mark.parametrize(("accept", "expected"), GRAPH_CASES)
def test_graph_negotiation(accept: str | None, expected: str) -> None:
    assert result_media_type("graph", accept) == expected


@pytest.mark.parametrize(("accept", "expected"), [
    ("*/*", JSON), ("application/sparql-results+xml", XML), ("text/xml", XML)])
def test_boolean_negotiation(accept: str, expected: str) -> None:
    assert result_media_type("boolean", accept) == expected


@pytest.mark.parametrize(("kind", "accept"), NOT_ACCEPTABLE)
def test_not_acceptable(kind: str, accept: str) -> None:
    with pytest.raises(NotAcceptable) as info:
        result_media_type(kind, accept)  # type: ignore[arg-type]
    assert info.value.status == 406


@pytest.mark.parametrize(("kind", "fmt", "expected"), [
    ("solutions", "json", JSON), ("solutions", "xml", XML), ("solutions", "csv", CSV),
    ("solutions", "tsv", TSV), ("solutions", "text/csv", CSV), ("solutions", "application/json", JSON),
    ("boolean", "xml", XML), ("graph", "turtle", TTL), ("graph", "ttl", TTL), ("graph", "nt", NT),
    ("graph", "rdfxml", RDFXML), ("graph", "jsonld", JSONLD), ("graph", "json", JSONLD),
    ("graph", "application/n-triples", NT),
])
def test_format_parameter_overrides_accept(kind: str, fmt: str, expected: str) -> None:
    assert result_media_type(kind, "text/html", fmt) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "fmts", "expected"), [
    # what SPARQLWrapper sends for CONSTRUCT as JSON-LD: the short name, then a comma list
    ("graph", ["json-ld", "application/ld+json,application/x-json+ld"], JSONLD),
    ("graph", ["application/ld+json,application/x-json+ld"], JSONLD),
    ("graph", ["application/x-json+ld"], JSONLD),
    ("graph", ["n3"], "text/n3"), ("graph", ["text/rdf+n3"], "text/n3"),
    ("graph", ["bogus", "turtle"], TTL),
    ("solutions", ["tsv", "text/tab-separated-values"], TSV),
    ("solutions", ["text/plain"], "text/plain"),
])
def test_repeated_and_comma_listed_format_values(kind: str, fmts: list[str], expected: str) -> None:
    assert result_media_type(kind, "text/html", fmts) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "accept", "expected"), [
    ("solutions", "text/plain", "text/plain"), ("graph", "text/n3", "text/n3"),
    ("graph", "text/rdf+n3", "text/n3"), ("graph", "text/plain", NT),
    ("solutions", "text/*", CSV),
])
def test_plain_text_and_n3_accept(kind: str, accept: str, expected: str) -> None:
    assert result_media_type(kind, accept) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "fmt"), [("solutions", "turtle"), ("graph", "csv"),
                                           ("boolean", "tsv"), ("solutions", "image/png")])
def test_unknown_format_parameter_is_406(kind: str, fmt: str) -> None:
    with pytest.raises(NotAcceptable):
        result_media_type(kind, None, fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize(("accept", "offers", "expected"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", [TTL, "text/html"], "text/html"),
    ("*/*", [TTL, "text/html"], TTL),
    (None, [TTL, "text/html"], TTL),
    ("text/turtle", ["text/html"], None),
    ("image/*", [TTL], None),
])
def test_negotiate_generic(accept: str | None, offers: list[str], expected: str | None) -> None:
    assert negotiate(accept, offers) == expected


def test_parse_accept_reads_q_values_and_wildcards() -> None:
    ranges = parse_accept("text/*;q=0.3, application/json, *;q=0.1")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "*", 0.3), ("application", "json", 1.0), ("*", "*", 0.1)]


@pytest.mark.parametrize(("query", "form"), [
    ("SELECT * {}", "solutions"),
    ("select * {}", "solutions"),
    ("PREFIX ex: <http://ex/> SELECT ?s { ?s ex:p 1 }", "solutions"),
    ("PREFIX : <http://ex/#> # a comment with ASK\nBASE <http://b/> ASK {}", "boolean"),
    ("# CONSTRUCT in a comment\nDESCRIBE <http://example.org/>", "graph"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "graph"),
    ("PREFIX ex: <http://ex/select#> ASK { }", "boolean"),
    ("CLEAR ALL", None),
    ("INSERT DATA { <a> <b> <c> }", None),
    ("", None),
])
def test_query_form(query: str, form: str | None) -> None:
    assert query_form(query) == form
