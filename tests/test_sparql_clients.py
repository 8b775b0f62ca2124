"""Real clients against the real server: SPARQLWrapper, rdflib's SPARQLStore, raw HTTP."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, JSONLD, N3, TURTLE, XML, SPARQLWrapper

from tests.sparql_support import ARTICLE, BASE, Server, sparql_server

__all__ = ["sparql_server"]

NAMES = "SELECT ?name WHERE { ?p a <http://schema.org/Person> ; <http://schema.org/name> ?name }"


def test_sparqlwrapper_json(sparql_server: Server) -> None:
    client = SPARQLWrapper(sparql_server.sparql)
    client.setQuery(NAMES)
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    assert [b["name"]["value"] for b in result["results"]["bindings"]] == ["Olivia Thompson"]


def test_sparqlwrapper_xml_post(sparql_server: Server) -> None:
    client = SPARQLWrapper(sparql_server.sparql)
    client.setMethod("POST")
    client.setQuery(NAMES)
    client.setReturnFormat(XML)
    doc = client.queryAndConvert()  # an xml.dom.minidom document
    literals = [n.firstChild.data for n in doc.getElementsByTagName("literal")]
    assert literals == ["Olivia Thompson"]


def test_sparqlwrapper_construct_turtle(sparql_server: Server) -> None:
    client = SPARQLWrapper(sparql_server.sparql)
    client.setQuery(f"CONSTRUCT {{ <{ARTICLE}> ?p ?o }} WHERE {{ <{ARTICLE}> ?p ?o }}")
    client.setReturnFormat(TURTLE)
    data = client.queryAndConvert()
    g = Graph().parse(data=data, format="turtle")
    assert (URIRef(ARTICLE), URIRef("http://schema.org/headline"),
            Literal("Does Botox cause hair loss?")) in g


HEADLINE = (URIRef(ARTICLE), URIRef("http://schema.org/headline"), Literal("Does Botox cause hair loss?"))
ARTICLE_CONSTRUCT = f"CONSTRUCT {{ <{ARTICLE}> ?p ?o }} WHERE {{ <{ARTICLE}> ?p ?o }}"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("return_format", "to_graph"), [
    (N3, lambda data: Graph().parse(data=data, format="n3")),  # bytes; SPARQLWrapper raised if not N3's type
    (JSONLD, lambda graph: graph),  # an rdflib Graph parsed from the JSON-LD answer
], ids=["n3", "json-ld"])
def test_sparqlwrapper_construct_as_n3_and_json_ld(sparql_server: Server, method: str, return_format: str,
                                                    to_graph: Callable[[Any], Graph]) -> None:
    client = SPARQLWrapper(sparql_server.sparql)
    client.setMethod(method)
    client.setQuery(ARTICLE_CONSTRUCT)
    client.setReturnFormat(return_format)
    assert HEADLINE in to_graph(client.queryAndConvert())


def test_rdflib_sparqlstore(sparql_server: Server) -> None:
    store = SPARQLStore(sparql_server.sparql)
    graph = Graph(store=store)
    rows = list(graph.query(
        "SELECT ?years WHERE { ?p <https://w3id.org/healthkg/ontology#yearsOfExperience> ?years }"))
    assert [r[0].toPython() for r in rows] == [12]
    ask = graph.query(f"ASK {{ <{BASE}person/olivia-thompson> ?p ?o }}")
    assert ask.askAnswer is True
    triples = list(graph.query(f"CONSTRUCT {{ <{ARTICLE}> ?p ?o }} WHERE {{ <{ARTICLE}> ?p ?o }}"))
    assert len(triples) == 4
    store.close()


def raw_http(url: str, request: str) -> bytes:
    """Send a hand-written HTTP/1.1 request (what curl would) and return the whole answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request.encode())
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def test_raw_get_like_curl(sparql_server: Server) -> None:
    path = "/sparql?query=" + quote("ASK { ?s ?p ?o }")
    answer = raw_http(sparql_server.url, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
                                         "Accept: application/sparql-results+xml\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-type: application/sparql-results+xml" in head.lower()
    assert b"<boolean>true</boolean>" in body


def test_raw_post_direct_like_curl(sparql_server: Server) -> None:
    body = b"SELECT ?name WHERE { ?p <http://schema.org/name> ?name }"
    answer = raw_http(sparql_server.url, "POST /sparql HTTP/1.1\r\nHost: localhost\r\n"
                                         "Content-Type: application/sparql-query\r\nAccept: text/csv\r\n"
                                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                                         + body.decode())
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Olivia Thompson" in rest


def test_raw_post_without_content_type_is_415(sparql_server: Server) -> None:
    body = "query=ASK%20%7B%7D"
    answer = raw_http(sparql_server.url, "POST /sparql HTTP/1.1\r\nHost: localhost\r\n"
                                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}")
    assert answer.startswith(b"HTTP/1.1 415")
