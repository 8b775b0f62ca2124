"""The remote graph store: any SPARQL 1.1 Query + Update endpoint over HTTP (tested on Virtuoso).

One named graph per article, as in the embedded store. :class:`SparqlClient` is the HTTP
plumbing (auth, timeouts, error mapping) shared with ``kg.remote_engine``.

How a graph is replaced, and why not ``DROP GRAPH ; INSERT DATA`` (measured on Virtuoso
7.2.5, Debian's ``virtuoso-opensource``):

* Virtuoso compiles the whole request before running it, so a syntax error or an
  ill-typed literal rejects it whole; and the request is one transaction, so a server
  killed mid-request loses it whole. But a *run-time* error in a later operation does
  not undo the earlier ones: the endpoint commits what ran (``exec (...); commit work``).
* Worse, a transaction that deletes quads and inserts the same quads again (re-ingesting
  an unchanged article) is replayed wrongly from the transaction log after an unclean
  stop (SIGTERM or SIGKILL before a checkpoint): most of those quads are gone afterwards.

So the new triples go into a per-article staging graph first, and the article graph is
then patched from it on the server: quads not in the new version are deleted, quads
not yet there are added (``ADD``, which leaves existing quads alone), and the staging
graph is emptied. Everything happens in ONE request when it fits (``max_request_bytes``):
readers see the old graph or the new one, never a mix, and unchanged quads are never
touched. A graph too large for one request is staged over several requests and patched
by the last one; the staging graph is then briefly visible to queries over the union.
(The staging graph is emptied with ``DELETE WHERE``: a ``DROP SILENT GRAPH`` of a graph
that did not exist when Virtuoso compiled the request does nothing.)

Other limits found: one ``INSERT DATA`` block holds at most about 4990 triples (the
parser's stack; we send ``chunk_triples`` per block), the request text at most about
10 MB (SR578), blank nodes are refused in ``INSERT DATA`` (sent in ``INSERT {} WHERE {}``
blocks, each blank node's triples kept in one block), integers beyond 64 bits (SR341)
and ``xsd:duration`` literals (SR553) are refused, updates are compiled slowly and
capped (SQ199) unless sent with :data:`BULK_PRAGMA`, and results are cut at
``ResultSetMaxRows`` (10000 in Debian's ini; reported as an error here, never a
silently short answer).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from rdflib import BNode, Graph, Literal, URIRef

from kg.errors import (
    BadRequest,
    Forbidden,
    HealthKGError,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
)
from kg.store import VOCABULARY_GRAPH, GraphStore

log = logging.getLogger("healthkg.sparql_store")

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
XSD_BOOLEAN = XSD + "boolean"
STAGING_PREFIX = "urn:x-healthkg:staging:"
JSON_RESULTS = "application/sparql-results+json"
FORM = "application/x-www-form-urlencoded"
_HEALTHKG_GRAPHS = VOCABULARY_GRAPH.rsplit("/", 1)[0] + "/"


# --------------------------------------------------------------------------------------
# HTTP plumbing

class ChallengeAuth(httpx.Auth):
    """HTTP auth that answers the server's challenge: Digest (Virtuoso) or Basic (Fuseki).

    The first request goes without credentials; the scheme the 401 asks for is kept.
    """

    requires_request_body = True

    def __init__(self, user: str, password: str) -> None:
        self._digest = httpx.DigestAuth(user, password)
        self._basic = httpx.BasicAuth(user, password)
        self._scheme: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        if self._scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        challenges = [h.lower() for h in response.headers.get_list("www-authenticate")]
        if any(h.startswith("digest") for h in challenges):
            self._scheme = "digest"
            yield from self._digest.auth_flow(request)
        elif any(h.startswith("basic") for h in challenges):
            self._scheme = "basic"
            yield from self._basic.auth_flow(request)


# Virtuoso's endpoint compiles updates with ``big-data-const 0`` when a query cost limit
# is set ([SPARQL] MaxQueryCostEstimationTime, 400 in Debian's virtuoso.ini): every
# constant triple becomes code, which compiles slowly (seconds per thousand triples) and
# is capped at 32 KB of code (SQ199, a few thousand triples of mixed literals). The
# pragma keeps the triples as data. Its cost: a request that fails at run time is
# reported as SP031 (the endpoint re-checks it with big-data-const 0), hiding the reason.
BULK_PRAGMA = "DEFINE sql:big-data-const 1"
HIDDEN_REASON = "big-data-const"

_TIMEOUT_MARKERS = ("S1T00", "S1TAT", "timed out", "timeout", "estimated execution time")


def server_message(text: str, limit: int = 2000) -> str:
    """The server's error text without the echo of the request Virtuoso appends."""
    text = text.split("\n\nSPARQL query:", 1)[0].split("\nSPARQL query:", 1)[0].strip()
    return text[:limit] + (" ..." if len(text) > limit else "")


@dataclass
class SparqlClient:
    """Sends SPARQL 1.1 Protocol requests and turns every failure into a ``kg.errors`` type.

    ``user``/``password`` answer the server's Digest or Basic challenge. A request the
    server never answers is StoreUnavailable naming the endpoint; nothing is kept broken
    between requests (the connection pool drops dead connections by itself).
    """

    query_endpoint: str
    update_endpoint: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    update_timeout: float = 120.0

    def __post_init__(self) -> None:
        auth = ChallengeAuth(self.user, self.password or "") if self.user else None
        self._http = httpx.Client(auth=auth, follow_redirects=False,
                                  transport=httpx.HTTPTransport(retries=1))
        self._server: str | None = None  # the Server header, once one was seen

    def is_virtuoso(self) -> bool:
        """Whether the server is Virtuoso (its ``Server`` header; one ``ASK {}`` to learn it)."""
        if self._server is None:
            self.query("ASK {}", JSON_RESULTS)
        return (self._server or "").lower().startswith("virtuoso")

    # -- requests ------------------------------------------------------------------------

    def query(self, query: str, accept: str, *, default_graph_uris: Sequence[str] = (),
              named_graph_uris: Sequence[str] = (), timeout: float | None = None) -> httpx.Response:
        """POST a query (form-encoded); the whole answer is read within ``timeout`` seconds."""
        limit = self.timeout if timeout is None else timeout
        form: list[tuple[str, str]] = [("query", query)]
        form += [("default-graph-uri", g) for g in default_graph_uris]
        form += [("named-graph-uri", g) for g in named_graph_uris]
        # Virtuoso stops a query by itself after `timeout` ms ("anytime" answer, S1TAT).
        form.append(("timeout", str(max(int(limit * 1000), 1))))
        response = self._send(self.query_endpoint, limit, content=urlencode(form).encode("ascii"),
                              headers={"Accept": accept, "Content-Type": FORM}, idempotent=True)
        if response.headers.get("x-sql-state") == "S1TAT":
            raise QueryTimeout(f"the query ran longer than {limit:g} s and was cancelled",
                               {"timeout": limit})
        return response

    def update(self, update: str, *, timeout: float | None = None, bulk: bool = False) -> None:
        """POST an update (``application/sparql-update``) to the update endpoint.

        ``bulk``: the update carries much constant data (see :data:`BULK_PRAGMA`).
        """
        if not self.update_endpoint:
            raise Forbidden("no SPARQL update endpoint is configured for the remote store")
        limit = self.update_timeout if timeout is None else timeout
        if bulk and self.is_virtuoso():
            update = f"{BULK_PRAGMA} {update}"
        self._send(self.update_endpoint, limit, content=update.encode("utf-8"),
                   headers={"Content-Type": "application/sparql-update; charset=utf-8"},
                   idempotent=False)

    def _send(self, url: str, limit: float, *, idempotent: bool, **kw: Any) -> httpx.Response:
        """One POST read whole before ``limit`` seconds; errors mapped, one retry when safe."""
        attempts = 2 if idempotent else 1
        for attempt in range(attempts):
            deadline = time.monotonic() + limit
            try:
                response = self._post(url, limit, deadline, **kw)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                    raise StoreUnavailable(f"the SPARQL endpoint {url} does not answer: {exc!r}",
                                           {"endpoint": url}) from exc
                raise QueryTimeout(f"the SPARQL endpoint {url} did not answer within {limit:g} s",
                                   {"timeout": limit, "endpoint": url}) from exc
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt + 1 < attempts:  # a pooled connection the server had closed
                    continue
                raise StoreUnavailable(f"the SPARQL endpoint {url} dropped the connection: {exc!r}",
                                       {"endpoint": url}) from exc
            except httpx.TransportError as exc:
                raise StoreUnavailable(f"the SPARQL endpoint {url} cannot be reached: {exc!r}",
                                       {"endpoint": url}) from exc
            if self._server is None:
                self._server = response.headers.get("server", "")
            _raise_for_status(url, response)
            return response
        raise AssertionError("unreachable")

    def _post(self, url: str, limit: float, deadline: float, **kw: Any) -> httpx.Response:
        timeout = httpx.Timeout(limit, connect=min(limit, 5.0))
        with self._http.stream("POST", url, timeout=timeout, **kw) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the answer took too long", request=response.request)
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=bytes(body),
                              request=response.request)

    def close(self) -> None:
        self._http.close()


def _raise_for_status(url: str, response: httpx.Response) -> None:
    """Map an HTTP error answer to a ``kg.errors`` type carrying the server's message."""
    status = response.status_code
    if status < 400:
        return
    message = server_message(response.content.decode("utf-8", "replace")) or response.reason_phrase
    detail = {"endpoint": url, "status": status}
    if HIDDEN_REASON in message and "SP031" in message:
        raise StoreUnavailable(f"the SPARQL endpoint {url} failed while running the update "
                               "(Virtuoso withholds the reason under big-data-const 1)", detail)
    if status == 400:
        raise QuerySyntaxError(message, detail)
    if status == 401:
        raise StoreUnavailable(f"the SPARQL endpoint {url} refused the credentials (HTTP 401)", detail)
    if status == 403 or "SR186" in message or "No permission" in message:
        raise Forbidden(f"the SPARQL endpoint {url} refused: {message}", detail)
    if status in (408, 504) or any(m in message for m in _TIMEOUT_MARKERS):
        raise QueryTimeout(f"the SPARQL endpoint {url} gave up: {message}", detail)
    if status in (404, 405):
        raise StoreUnavailable(f"{url} is not a SPARQL endpoint (HTTP {status})", detail)
    raise StoreUnavailable(f"the SPARQL endpoint {url} failed (HTTP {status}): {message}", detail)


# --------------------------------------------------------------------------------------
# Results

def normalise_term(term: dict[str, Any]) -> dict[str, Any]:
    """A server's SPARQL-JSON term in the embedded store's form.

    Virtuoso answers ``typed-literal`` (SPARQL 1.0), ``xsd:boolean`` as ``1``/``0``,
    an explicit ``xsd:string`` datatype and ``nodeID://`` blank node labels.
    """
    kind = term.get("type")
    value = term.get("value", "")
    if kind in ("literal", "typed-literal"):
        out: dict[str, Any] = {"type": "literal", "value": value}
        if term.get("xml:lang"):
            out["xml:lang"] = term["xml:lang"].lower()
            if term.get("its:dir") in ("ltr", "rtl"):  # SPARQL 1.2 base direction
                out["its:dir"] = term["its:dir"]
        elif term.get("datatype") and term["datatype"] != XSD_STRING:
            out["datatype"] = term["datatype"]
            if term["datatype"] == XSD_BOOLEAN:
                out["value"] = {"1": "true", "0": "false"}.get(value, value)
        return out
    if kind == "bnode":
        return {"type": "bnode", "value": value.removeprefix("nodeID://")}
    return {"type": kind or "uri", "value": value}


def solutions(response: httpx.Response, max_rows: int | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Variables and normalised rows (see :func:`normalise_term`) of a SPARQL JSON answer."""
    try:
        data = response.json()
        names = list(data["head"].get("vars", []))
        bindings = data["results"]["bindings"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreUnavailable(f"the SPARQL endpoint sent no SPARQL JSON results: {exc!r}") from exc
    if max_rows is not None:
        bindings = bindings[:max_rows]
    return names, [{name: normalise_term(t) for name, t in row.items()} for row in bindings]


def json_rows(response: httpx.Response, max_rows: int | None = None) -> list[dict[str, Any]]:
    """The normalised rows of a SELECT answer."""
    return solutions(response, max_rows)[1]


def json_boolean(response: httpx.Response) -> bool:
    try:
        return bool(response.json()["boolean"])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreUnavailable(f"the SPARQL endpoint sent no boolean result: {exc!r}") from exc


def server_row_cap(response: httpx.Response) -> int | None:
    """The row cap the server hit (Virtuoso's ``X-SPARQL-MaxRows``), if it cut this answer."""
    value = response.headers.get("x-sparql-maxrows")
    return int(value) if value and value.isdigit() else None


# --------------------------------------------------------------------------------------
# Writing graphs

_IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20]*$")


def check_iri(iri: str) -> str:
    """An absolute IRI safe to splice between ``<>``, or BadRequest."""
    if not _IRI_RE.match(iri):
        raise BadRequest(f"not an absolute IRI: {iri!r}")
    return iri


def staging_graph(graph_iri: str) -> str:
    """The staging graph of one article graph (fixed, so a leftover is cleared next time)."""
    return STAGING_PREFIX + hashlib.sha256(graph_iri.encode("utf-8")).hexdigest()[:32]


def _term(term: Any, bnodes: dict[BNode, str]) -> str:
    """One term in N-Triples syntax; blank nodes relabelled ``_:bN`` for this request."""
    if isinstance(term, BNode):
        return bnodes.setdefault(term, f"_:b{len(bnodes)}")
    if isinstance(term, URIRef):
        return f"<{check_iri(str(term))}>"
    if isinstance(term, Literal):
        if term.datatype is not None:
            check_iri(str(term.datatype))
        return term.n3()
    raise BadRequest(f"cannot store the term {term!r} (not an IRI, blank node or literal)")


def _blocks(graph: Graph, chunk: int) -> Iterator[tuple[bool, list[str]]]:
    """Triples as N-Triples lines, in blocks of about ``chunk``; (has blank nodes, lines).

    All triples of a blank node land in one block (its label is scoped to the block).
    """
    bnodes: dict[BNode, str] = {}
    plain: list[str] = []
    parent: dict[BNode, BNode] = {}

    def root(b: BNode) -> BNode:
        while parent.setdefault(b, b) != b:
            b = parent[b]
        return b

    linked: list[tuple[BNode, str]] = []
    for s, p, o in graph:
        line = f"{_term(s, bnodes)} {_term(p, bnodes)} {_term(o, bnodes)} ."
        nodes = [t for t in (s, o) if isinstance(t, BNode)]
        if not nodes:
            plain.append(line)
            continue
        if len(nodes) == 2:
            parent[root(nodes[0])] = root(nodes[1])
        linked.append((nodes[0], line))
    for i in range(0, len(plain), chunk):
        yield False, plain[i:i + chunk]
    groups: dict[BNode, list[str]] = {}
    for node, line in linked:
        groups.setdefault(root(node), []).append(line)
    block: list[str] = []
    for lines in groups.values():
        if block and len(block) + len(lines) > chunk:
            yield True, block
            block = []
        block += lines
    if block:
        yield True, block


def insert_operations(graph: Graph, target: str, chunk: int) -> Iterator[str]:
    """``INSERT DATA`` blocks (``INSERT {} WHERE {}`` for blank nodes) writing ``graph`` into ``target``."""
    for has_bnodes, lines in _blocks(graph, chunk):
        body = "\n".join(lines)
        if has_bnodes:
            yield f"INSERT {{ GRAPH <{target}> {{\n{body}\n}} }} WHERE {{ }}"
        else:
            yield f"INSERT DATA {{ GRAPH <{target}> {{\n{body}\n}} }}"


def patch_operations(graph_iri: str, staging: str) -> list[str]:
    """Turn ``graph_iri`` into a copy of ``staging`` without touching the quads they share."""
    return [
        f"DELETE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }}"
        f" FILTER NOT EXISTS {{ GRAPH <{staging}> {{ ?s ?p ?o }} }} }}",
        f"ADD SILENT <{staging}> TO <{graph_iri}>",
        f"DELETE WHERE {{ GRAPH <{staging}> {{ ?s ?p ?o }} }}",
    ]


def batch_requests(operations: Iterable[str], max_bytes: int) -> list[str]:
    """Join operations with ``;`` into as few requests as fit ``max_bytes`` each (in order)."""
    requests: list[str] = []
    current: list[str] = []
    size = 0
    for op in operations:
        n = len(op.encode("utf-8")) + 3
        if current and size + n > max_bytes:
            requests.append(" ;\n".join(current))
            current, size = [], 0
        current.append(op)
        size += n
    if current:
        requests.append(" ;\n".join(current))
    return requests


# --------------------------------------------------------------------------------------
# The store

class SparqlGraphStore(GraphStore):
    """A remote SPARQL 1.1 store; see the module docstring for how writes stay whole.

    ``graph_prefixes``: the store owns the named graphs whose IRI starts with one of
    these (others on the server, such as Virtuoso's own, are not listed or counted);
    None owns every graph but the staging ones. Queries see the server's default graph,
    which on Virtuoso (and on Fuseki with ``unionDefaultGraph``) is the union of all graphs.
    """

    def __init__(self, query_endpoint: str, update_endpoint: str | None = None, *,
                 user: str | None = None, password: str | None = None, timeout: float = 10.0,
                 update_timeout: float = 120.0, graph_prefixes: Sequence[str] | None = None,
                 max_request_bytes: int = 8_000_000, chunk_triples: int = 1000) -> None:
        self.client = SparqlClient(query_endpoint, update_endpoint or query_endpoint, user, password,
                                   timeout, update_timeout)
        self.graph_prefixes = tuple(graph_prefixes) if graph_prefixes is not None else None
        self.max_request_bytes = max_request_bytes
        self.chunk_triples = chunk_triples

    @classmethod
    def from_settings(cls, settings: Any) -> SparqlGraphStore:
        """The store the settings describe (``HEALTHKG_SPARQL_*``); owns base-IRI and healthkg graphs."""
        if not settings.sparql_query_endpoint:
            raise HealthKGError("HEALTHKG_STORE=sparql needs HEALTHKG_SPARQL_QUERY_ENDPOINT")
        password = settings.sparql_password.get_secret_value() if settings.sparql_password else None
        return cls(settings.sparql_query_endpoint, settings.sparql_update_endpoint,
                   user=settings.sparql_user, password=password, timeout=settings.sparql_timeout,
                   graph_prefixes=(settings.base_iri, _HEALTHKG_GRAPHS))

    # -- writes --------------------------------------------------------------------------

    def replace_graph(self, graph_iri: str, graph: Graph) -> None:
        check_iri(graph_iri)
        if len(graph) == 0:
            self.drop_graph(graph_iri)
            return
        staging = staging_graph(graph_iri)
        operations = [f"DROP SILENT GRAPH <{staging}>",
                      *insert_operations(graph, staging, self.chunk_triples),
                      *patch_operations(graph_iri, staging)]
        requests = batch_requests(operations, self.max_request_bytes)
        try:
            for request in requests:
                self.client.update(request, bulk=True)
        except HealthKGError as exc:
            # The article graph is untouched unless the last request got as far as the
            # patch; what the staging graph holds is removed (when the server answers).
            cleanup_error = self._clear_staging(staging)
            if cleanup_error is not None and HIDDEN_REASON in exc.message:
                raise cleanup_error from exc  # its message says why (credentials, rights)
            raise

    def _clear_staging(self, staging: str) -> HealthKGError | None:
        """Best effort: remove what a failed replace left in the staging graph."""
        try:
            self.client.update(f"DROP SILENT GRAPH <{staging}>", timeout=self.client.timeout)
        except HealthKGError as exc:
            log.warning("could not clear the staging graph %s: %s", staging, exc.message)
            return exc
        return None

    def drop_graph(self, graph_iri: str) -> None:
        check_iri(graph_iri)
        self.client.update(f"DROP SILENT GRAPH <{graph_iri}> ;\n"
                           f"DROP SILENT GRAPH <{staging_graph(graph_iri)}>")

    # -- reads ---------------------------------------------------------------------------

    def _owned(self, iri: str) -> bool:
        if iri.startswith(STAGING_PREFIX):
            return False
        return self.graph_prefixes is None or iri.startswith(self.graph_prefixes)

    def graph_iris(self) -> set[str]:
        rows = self._rows("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {r["g"]["value"] for r in rows if "g" in r and self._owned(r["g"]["value"])}

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is not None:
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{check_iri(graph_iri)}> {{ ?s ?p ?o }} }}"
            return int(self._rows(query)[0]["n"]["value"])
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        return sum(int(r["n"]["value"]) for r in self._rows(query) if self._owned(r["g"]["value"]))

    def select(self, query: str) -> list[dict[str, Any]]:
        return self._rows(query)

    def ask(self, query: str) -> bool:
        return json_boolean(self.client.query(query, JSON_RESULTS))

    def _rows(self, query: str) -> list[dict[str, Any]]:
        response = self.client.query(query, JSON_RESULTS)
        rows = json_rows(response)
        cap = server_row_cap(response)
        if cap is not None and len(rows) >= cap:
            raise HealthKGError(f"the SPARQL endpoint cut the answer at {cap} rows; raise its row "
                                "limit (Virtuoso: [SPARQL] ResultSetMaxRows)", {"rows": cap})
        return rows

    def close(self) -> None:
        self.client.close()

