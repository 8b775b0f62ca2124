"""The SPARQL 1.1 Protocol on /sparql, Graph Store Protocol reads, YASGUI, and CORS.

``build_sparql_router`` mounts into any FastAPI app; ``create_sparql_app`` is a small
app of its own (tests, or a SPARQL-only server). The engine (``kg.engine``) does the
work; this module only speaks HTTP: parameters, media types, status codes.
"""

from __future__ import annotations

import functools
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from api.errors import install_error_handlers
from api.negotiation import ALIASES, FORMAT_NAMES, format_candidates, negotiate, result_media_type
from api.settings import Settings
from api.sparql_examples import examples
from api.sparql_openapi import graph_store_operation, sparql_operation
from kg.engine import OxigraphEngine, QueryEngine, QueryOutcome, query_form
from kg.errors import BadRequest, Forbidden, NotAcceptable, NotFound, ServiceUnavailable, UnsupportedMediaType
from kg.outbound import check_outbound
from kg.query_shape import check_shape

STATIC = Path(__file__).resolve().parent / "static" / "yasgui"
ASSETS = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}
FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
RDF_FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt",
               "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
VARY = {"Vary": "Accept"}
# Result-format parameters: `format` (Virtuoso, Oxigraph), `output` (Jena), `results`; SPARQLWrapper
# sends all three, repeated, some values comma lists.
FORMAT_PARAMETERS = ("format", "output", "results")
OTHER_METHODS = ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]
TRUNCATED, ROW_LIMIT = "HEALTHKG-Truncated", "HEALTHKG-Row-Limit"


@dataclass
class Operation:
    """One protocol request, parsed: a query or an update, and its dataset parameters."""

    query: str | None = None
    update: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Parsing requests (pure functions).

def parse_pairs(raw: str) -> list[tuple[str, str]]:
    """Decode an x-www-form-urlencoded string; BadRequest unless it is UTF-8."""
    try:
        return parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"parameters must be UTF-8: {exc}") from exc


def operation_from_pairs(pairs: list[tuple[str, str]]) -> Operation:
    """An :class:`Operation` from decoded parameters; BadRequest on duplicates or both kinds."""
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    for name in ("query", "update"):
        if len(values.get(name, [])) > 1:
            raise BadRequest(f"more than one '{name}' parameter")
    if "query" in values and "update" in values:
        raise BadRequest("a request carries a query or an update, not both")
    return Operation(
        query=next(iter(values.get("query", [])), None),
        update=next(iter(values.get("update", [])), None),
        default_graphs=values.get("default-graph-uri", []),
        named_graphs=values.get("named-graph-uri", []),
        using_graphs=values.get("using-graph-uri", []),
        using_named_graphs=values.get("using-named-graph-uri", []),
        formats=[v for name in FORMAT_PARAMETERS for v in values.get(name, [])])


def split_content_type(header: str | None) -> tuple[str, str | None]:
    """(media type, charset) of a Content-Type header; ("", None) when absent."""
    if not header:
        return "", None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


def decode_utf8(body: bytes, what: str) -> str:
    """The body as text; BadRequest when it is not UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the {what} must be UTF-8: {exc}") from exc


def operation_from_post(content_type: str | None, body: bytes, url_query: str) -> Operation:
    """Parse a POST: URL-encoded form, direct query or direct update (SPARQL 1.1 Protocol 2.1/2.2)."""
    media, charset = split_content_type(content_type)
    if media not in (FORM, QUERY_TYPE, UPDATE_TYPE):
        raise UnsupportedMediaType(
            f"POST needs Content-Type {FORM}, {QUERY_TYPE} or {UPDATE_TYPE}, not {media or 'none'}")
    if charset not in (None, "utf-8", "utf8"):
        raise BadRequest(f"only UTF-8 is accepted, not {charset}")
    url_pairs = parse_pairs(url_query)
    if media == FORM:
        return operation_from_pairs(url_pairs + parse_pairs(decode_utf8(body, "form body")))
    op = operation_from_pairs(url_pairs)
    if op.query is not None or op.update is not None:
        raise BadRequest("a direct POST carries the operation in its body, not in the URL")
    text = decode_utf8(body, "body")
    if media == QUERY_TYPE:
        op.query = text
    else:
        op.update = text
    return op


def check_update_token(settings: Settings, authorization: str | None) -> None:
    """Forbidden unless updates are enabled and the request has the bearer token."""
    if not settings.update_enabled:
        raise Forbidden("SPARQL Update is disabled on this server")
    token = settings.update_token.get_secret_value() if settings.update_token else ""
    if not token:
        raise Forbidden("SPARQL Update is enabled but no update token is configured")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden("updates need the header 'Authorization: Bearer <token>'")


# --------------------------------------------------------------------------------------
# Service description and YASGUI.

def service_description(endpoint: str, update_enabled: bool, max_rows: int | None = None) -> Graph:
    """The sd:Service describing this endpoint; the default graph is the union of named graphs;
    with ``max_rows``, it says that answers are capped and how a cut answer says so."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    service, dataset, default = URIRef(endpoint), BNode(), BNode()
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if update_enabled:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N3"):
        g.add((service, SD.resultFormat, FORMATS[fmt]))
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    if max_rows is not None:
        g.add((service, RDFS.comment, Literal(
            f"Answers are capped at {max_rows} rows (SELECT solutions, CONSTRUCT and DESCRIBE triples). "
            f"An answer the cap cut carries the response headers '{TRUNCATED}: true' and "
            f"'{ROW_LIMIT}: {max_rows}'; an answer that was not cut has neither.", lang="en")))
    g.add((dataset, RDFS.comment, Literal(
        "The default graph is the union of the named graphs (one per article, plus the "
        "vocabulary); default-graph-uri, named-graph-uri, FROM and FROM NAMED override it.")))
    return g


def yasgui_page(endpoint: str, assets: str) -> str:
    """The YASGUI HTML page, preloaded with the example queries, talking to ``endpoint``."""
    config = {"endpoint": endpoint,
              "examples": [{"name": e.name, "query": e.query} for e in examples()]}
    blob = json.dumps(config).replace("</", "<\\/")
    template = (STATIC / "page.html").read_text(encoding="utf-8")
    return template.replace("{{CONFIG}}", blob).replace("{{ASSETS}}", assets)


# --------------------------------------------------------------------------------------
# The router.

class SparqlProtocol:
    """The request handlers of the router, sharing the settings and the engine getter."""

    def __init__(self, settings: Settings, get_engine: Callable[[], QueryEngine],
                 on_update: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.get_engine = get_engine
        self.on_update = on_update
        self._limiter: anyio.CapacityLimiter | None = None

    async def in_engine(self, func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run an engine call on threads of SPARQL's own: at most ``sparql_workers`` + 2 at once,
        so queries waiting on busy workers never take the threads /health and /search run on;
        beyond ``HEALTHKG_SPARQL_QUEUE`` waiting, 503 at once instead of a growing queue."""
        if self._limiter is None:  # created in the event loop, on first use
            self._limiter = anyio.CapacityLimiter(self.settings.sparql_workers + 2)
        if self._limiter.borrowed_tokens >= self._limiter.total_tokens and \
                self._limiter.statistics().tasks_waiting >= self.settings.sparql_queue:
            raise ServiceUnavailable(f"the SPARQL endpoint is busy: {self.settings.sparql_queue} queries are "
                                     "already waiting; retry shortly")
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kw), limiter=self._limiter)

    async def endpoint(self, request: Request) -> Response:
        """GET/HEAD/POST /sparql: query, update, service description or YASGUI."""
        if request.method == "POST":
            op = operation_from_post(request.headers.get("content-type"), await request.body(),
                                     request.url.query)
        else:
            op = operation_from_pairs(parse_pairs(request.url.query))
            if op.update is not None:
                raise BadRequest("updates must be sent with POST, never GET")
        if op.update is not None:
            return await self.run_update(request, op)
        if op.query is not None:
            return await self.run_query(request, op)
        if request.method == "POST":
            raise BadRequest("the POST carries neither a 'query' nor an 'update'")
        return self.describe(request, op.formats)

    async def run_query(self, request: Request, op: Operation) -> Response:
        """Run a query in the engine and stream its results in the negotiated type."""
        assert op.query is not None
        await run_in_threadpool(self.check_outbound, op.query, False)
        kind = query_form(op.query) or "solutions"
        media = result_media_type(kind, request.headers.get("accept"), op.formats)
        outcome: QueryOutcome = await self.in_engine(
            self.get_engine().query, op.query, default_graph_uris=op.default_graphs or None,
            named_graph_uris=op.named_graphs or None, media_type=media)
        return await stream(outcome, head=request.method == "HEAD")

    async def run_update(self, request: Request, op: Operation) -> Response:
        """Run an update (POST only, enabled, with the bearer token); 204 when done."""
        assert op.update is not None
        check_update_token(self.settings, request.headers.get("authorization"))
        await run_in_threadpool(self.check_outbound, op.update, True)
        await self.in_engine(self.get_engine().update, op.update,
                                using_graph_uris=op.using_graphs or None,
                                using_named_graph_uris=op.using_named_graphs or None)
        if self.on_update is not None:
            self.on_update()
        return Response(status_code=204)

    def check_outbound(self, text: str, update: bool) -> None:
        """QueryTooComplex (400) when the request is nested or chained past the settings' bounds
        (deep enough to crash a worker's parser); OutboundRefused (400) unless every SERVICE/LOAD
        target is on the allowlist. Both before any engine sees the text."""
        check_shape(text, max_depth=self.settings.sparql_max_depth,
                    max_operators=self.settings.sparql_max_operators)
        check_outbound(text, update=update, allow=self.settings.sparql_service_allow,
                       base_iri=self.settings.base_iri)

    def describe(self, request: Request, formats: list[str]) -> Response:
        """GET without a query: YASGUI for browsers, the service description for RDF clients."""
        endpoint = str(request.url.replace(query=""))
        offers = [*RDF_FORMATS, "text/html"]
        if candidates := format_candidates(formats):
            names = {"html": "text/html", **ALIASES["graph"], **FORMAT_NAMES["graph"]}
            named = (names.get(c.lower(), c.lower()) for c in candidates)
            media = next((m for m in named if m in offers), None)
        else:
            media = negotiate(request.headers.get("accept"), offers)
        if media is None:
            raise NotAcceptable("ask for text/html or an RDF type", {"available": offers})
        if media == "text/html":
            assets = request.url.path.rstrip("/") + "/yasgui"
            return HTMLResponse(yasgui_page(endpoint, assets), headers=VARY)
        graph = service_description(endpoint, self.settings.update_enabled, self.settings.sparql_max_rows)
        body = graph.serialize(format=RDF_FORMATS[media], encoding="utf-8")
        return Response(body, media_type=media, headers=VARY)

    async def graph_store(self, request: Request) -> Response:
        """GET/HEAD /rdf-graph-store?graph=<iri> or ?default (Graph Store Protocol reads)."""
        pairs = parse_pairs(request.url.query)
        names = [name for name, _ in pairs]
        graphs = [value for name, value in pairs if name == "graph"]
        if ("default" in names) == bool(graphs) or len(graphs) > 1:
            raise BadRequest("give exactly one of ?default or ?graph=<iri>")
        formats = [v for n, v in pairs if n in FORMAT_PARAMETERS]
        media = result_media_type("graph", request.headers.get("accept"), formats)
        engine = self.get_engine()
        if graphs:
            iri = _checked_iri(graphs[0])
            if not await self.in_engine(_graph_exists, engine, iri):
                raise NotFound(f"no graph named <{iri}>")
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
        else:
            query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        outcome = await self.in_engine(engine.query, query, media_type=media)
        return await stream(outcome, head=request.method == "HEAD")


def _checked_iri(iri: str) -> str:
    """An absolute IRI safe to splice into a query, or BadRequest."""
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise BadRequest(f"invalid graph IRI {iri!r}: {exc}") from exc
    if ":" not in iri:
        raise BadRequest(f"graph IRI {iri!r} is not absolute")
    return iri


def _graph_exists(engine: QueryEngine, iri: str) -> bool:
    rows = engine.select(f"SELECT ?s WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} LIMIT 1")
    return bool(rows)


async def stream(outcome: QueryOutcome, *, head: bool = False) -> Response:
    """A streaming response of the engine's bytes (headers only for HEAD); a cut answer
    says so in ``HEALTHKG-Truncated`` and ``HEALTHKG-Row-Limit``."""
    headers = dict(VARY)
    if outcome.truncated:
        headers[TRUNCATED] = "true"
        if outcome.row_limit is not None:
            headers[ROW_LIMIT] = str(outcome.row_limit)
    if head:  # read the answer to the end so that its worker is free again
        await run_in_threadpool(_drain, outcome.chunks)
        return Response(b"", media_type=outcome.media_type, headers=headers)
    return StreamingResponse(_iterate(outcome.chunks), media_type=outcome.media_type,
                             headers=headers)


def _drain(chunks: Iterator[bytes]) -> None:
    for _ in chunks:
        pass


def _iterate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Yield the chunks; closing early (client gone) closes the engine's stream."""
    try:
        yield from chunks
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def yasgui_asset(name: str) -> FileResponse:
    """The YASGUI files copied from the npm package @zazuko/yasgui."""
    if name not in ASSETS:
        raise NotFound(f"no asset {name!r}")
    return FileResponse(STATIC / name, media_type=ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})


def oxigraph_engine(settings: Settings, store_path: Path | str) -> OxigraphEngine:
    """The embedded engine as the settings say: ``sparql_workers`` read-only query workers, and
    one writer beside them when updates are enabled (queries then read a checkpoint taken after
    each update, so that none waits behind another's timeout)."""
    return OxigraphEngine(store_path, workers=settings.sparql_workers,
                          timeout=settings.sparql_timeout, max_rows=settings.sparql_max_rows,
                          writable=settings.update_enabled, base_iri=settings.base_iri,
                          memory_mb=settings.sparql_worker_memory_mb or None)


def build_sparql_router(settings: Settings, get_engine: Callable[[], QueryEngine],
                        on_update: Callable[[], None] | None = None) -> APIRouter:
    """The /sparql endpoint, its YASGUI assets and /rdf-graph-store, as a mountable router;
    ``on_update`` is called after each update that succeeded."""
    protocol = SparqlProtocol(settings, get_engine, on_update)
    router = APIRouter(tags=["sparql"])
    # One route per method, each with its own operationId (one route with several methods
    # gives them all the same id, which OpenAPI forbids).
    for method in ("GET", "HEAD", "POST"):
        router.add_api_route("/sparql", protocol.endpoint, methods=[method],
                             operation_id=f"sparql_{method.lower()}",
                             summary="SPARQL 1.1 Protocol: query, update, service description, YASGUI",
                             response_class=Response, **sparql_operation(method))
    router.add_api_route("/sparql/yasgui/{name}", yasgui_asset, methods=["GET"],
                         include_in_schema=False)
    for method in ("GET", "HEAD"):
        router.add_api_route("/rdf-graph-store", protocol.graph_store, methods=[method],
                             operation_id=f"graph_store_{method.lower()}",
                             summary="Graph Store Protocol (read-only): ?graph=<iri> or ?default",
                             response_class=Response, **graph_store_operation())
    # Any other method: 405 naming every allowed one (per-method routes alone would name one).
    for path, allow in (("/sparql", "GET, HEAD, POST"), ("/rdf-graph-store", "GET, HEAD")):
        router.add_api_route(path, _method_not_allowed(allow), methods=OTHER_METHODS,
                             include_in_schema=False)
    return router


def _method_not_allowed(allow: str) -> Callable[[Request], Awaitable[Response]]:
    async def refuse(_: Request) -> Response:
        raise StarletteHTTPException(405, headers={"Allow": allow})

    return refuse


def add_cors(app: FastAPI, settings: Settings) -> None:
    """CORS for the configured origins; a wildcard origin never goes with credentials."""
    origins = list(settings.cors_origins)
    if not origins:
        return
    if "*" in origins and settings.cors_credentials:
        raise ValueError("cors_origins '*' cannot be combined with cors_credentials=true")
    app.add_middleware(CORSMiddleware, allow_origins=origins,
                       allow_credentials=settings.cors_credentials,
                       allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
                       allow_headers=["Accept", "Authorization", "Content-Type"],
                       expose_headers=[TRUNCATED, ROW_LIMIT],
                       max_age=600)


def create_sparql_app(settings: Settings, engine: QueryEngine) -> FastAPI:
    """A small app: the SPARQL router, error handlers, CORS and GET /health."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(engine.close)

    app = FastAPI(title="healthkg SPARQL", lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(build_sparql_router(settings, lambda: engine))
    add_cors(app, settings)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app

