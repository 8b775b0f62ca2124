"""The W3C SPARQL 1.1 Protocol test manifest, run against the real server.

A small harness reads ``shared/w3c/protocol/manifest.ttl`` (34 tests), loads each test's
``ut:graphData`` through the endpoint, sends its HTTP requests in order and checks the
status, the result format and the boolean. Updates run with updates enabled and a token.
Run ``python -m tests.test_w3c_protocol`` to print the pass count on its own.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS

from tests.sparql_support import TOKEN, Server, shared_dir, start_server, update_server

__all__ = ["update_server"]

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
MANIFEST = shared_dir() / "w3c" / "protocol" / "manifest.ttl"

FORMATS = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {"application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values"},
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]
    boolean: bool | None
    format: str | None


@dataclass
class ProtocolTest:
    name: str
    graph_data: list[tuple[Path, str]] = field(default_factory=list)
    requests: list[HttpRequest] = field(default_factory=list)


def load_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    """The manifest's tests, in the order of mf:entries."""
    g = Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(g.subjects(MF.entries, None))
    entries = Collection(g, g.value(manifest, MF.entries))
    return [_test(g, entry, path.parent) for entry in entries]


def _test(g: Graph, entry: URIRef, folder: Path) -> ProtocolTest:
    test = ProtocolTest(str(entry).rsplit("#", 1)[-1])
    for data in g.objects(entry, UT.graphData):
        file = Path(str(g.value(data, UT.graph)).removeprefix("file://"))
        test.graph_data.append((folder / file.name, str(g.value(data, RDFS.label))))
    action = g.value(entry, MF.action)
    for req in Collection(g, g.value(action, HT.requests)):
        test.requests.append(_request(g, req))
    return test


def _request(g: Graph, req: URIRef) -> HttpRequest:
    headers = {}
    if g.value(req, HT.headers) is not None:
        for h in Collection(g, g.value(req, HT.headers)):
            headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
    body = g.value(req, HT.body)
    data = None
    if body is not None:
        encoding = str(g.value(body, CNT.characterEncoding) or "UTF-8")
        data = str(g.value(body, CNT.chars)).encode(encoding.lower())
    resp = g.value(req, HT.resp)
    boolean = g.value(resp, MF.expectedBoolean)
    fmt = g.value(resp, MF.expectedFormat)
    return HttpRequest(
        method=str(g.value(req, HT.methodName)), path=str(g.value(req, HT.absolutePath)),
        headers=headers, body=data,
        statuses={str(s).rsplit("#", 1)[-1] for s in g.objects(resp, MF.expectedStatus)},
        boolean=None if boolean is None else boolean.toPython(),
        format=None if fmt is None else str(fmt))


def reset_dataset(client: httpx.Client, endpoint: str, graph_data: list[tuple[Path, str]]) -> None:
    """Empty the store, then load each data file into the graph its label names."""
    blocks = "".join(f"GRAPH <{iri}> {{ {file.read_text()} }}\n" for file, iri in graph_data)
    update = "DROP ALL" + (f" ; INSERT DATA {{ {blocks} }}" if blocks else "")
    r = client.post(endpoint, content=update.encode(),
                    headers={"Content-Type": "application/sparql-update"})
    r.raise_for_status()


def check(request: HttpRequest, response: httpx.Response) -> list[str]:
    """What is wrong with ``response`` (an empty list when it is what the test expects)."""
    problems = []
    klass = f"StatusCode{response.status_code // 100}xx"
    if request.statuses and klass not in request.statuses:
        problems.append(f"status {response.status_code}, expected {sorted(request.statuses)}")
        return problems
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if request.format and media not in FORMATS[request.format]:
        problems.append(f"content type {media!r} is not {request.format}")
    if request.boolean is not None and _boolean(media, response.content) != request.boolean:
        problems.append(f"boolean is not {request.boolean}")
    return problems


def _boolean(media: str, body: bytes) -> bool | None:
    if media == "application/sparql-results+json":
        return json.loads(body).get("boolean")
    if media == "application/sparql-results+xml":
        el = ElementTree.fromstring(body).find("{http://www.w3.org/2005/sparql-results#}boolean")
        return None if el is None else el.text == "true"
    return None


def run_test(test: ProtocolTest, base_url: str, token: str) -> list[str]:
    """Run one manifest test against the server; the problems found."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=30) as client:
        reset_dataset(client, "/sparql", test.graph_data)
        problems = []
        for req in test.requests:
            path = "/sparql" + req.path.removeprefix("/sparql/")  # "/sparql/?q" -> "/sparql?q"
            response = client.request(req.method, path, headers=req.headers, content=req.body)
            problems += [f"{req.method} {req.path}: {p}" for p in check(req, response)]
        return problems


def test_manifest_has_34_tests() -> None:
    assert len(load_manifest()) == 34


@pytest.mark.parametrize("test", load_manifest(), ids=lambda t: t.name)
def test_w3c_protocol(test: ProtocolTest, update_server: Server) -> None:
    problems = run_test(test, update_server.url, TOKEN)
    assert not problems, "\n".join(problems)


def main() -> int:
    """Start a server, run the manifest, print the pass count."""
    tmp = Path(tempfile.mkdtemp())
    from tests.sparql_support import make_fixture_store

    server = start_server(make_fixture_store(tmp / "store"), tmp / "server.log",
                          update_enabled="true", update_token=TOKEN)
    try:
        tests = load_manifest()
        failed = {t.name: p for t in tests if (p := run_test(t, server.url, TOKEN))}
    finally:
        server.stop()
    for name, problems in failed.items():
        print(f"FAIL {name}: {'; '.join(problems)}")
    print(f"W3C SPARQL 1.1 Protocol: {len(tests) - len(failed)}/{len(tests)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
