"""The OpenAPI description of /sparql and /rdf-graph-store: parameters, bodies, answers.

The handlers read the raw request (the protocol allows repeated and unknown parameters), so
FastAPI cannot infer any of this; it is written out here so that the document says what the
routes accept and every status and media type they answer with (the schemathesis run in
``tests/test_api_fuzz.py`` holds the routes to it).
"""

from __future__ import annotations

from typing import Any

from kg.engine import RESULT_MEDIA_TYPES

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["code", "message", "detail"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "detail": {}}}
RESULTS_JSON_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["head"],
    "properties": {"head": {"type": "object"}, "boolean": {"type": "boolean"},
                   "results": {"type": "object", "required": ["bindings"],
                               "properties": {"bindings": {"type": "array", "items": {"type": "object"}}}}}}
ANSWER_TYPES = tuple(dict.fromkeys(t for types in RESULT_MEDIA_TYPES.values() for t in types))
ASK = "ASK { ?s ?p ?o }"


def _error(description: str, code: str, message: str) -> dict[str, Any]:
    example = {"code": code, "message": message, "detail": None}
    return {"description": description,
            "content": {"application/json": {"schema": ERROR_SCHEMA, "example": example}}}


def _body(media_type: str) -> dict[str, Any]:
    if media_type == "application/sparql-results+json":
        return {"schema": RESULTS_JSON_SCHEMA}
    if media_type == "application/ld+json":
        return {"schema": {}}
    return {"schema": {"type": "string"}}


def _answer(types: tuple[str, ...], description: str) -> dict[str, Any]:
    return {"description": description, "content": {t: _body(t) for t in types},
            "headers": {"HEALTHKG-Truncated": {"description": "`true` when the row cap cut the answer",
                                               "schema": {"type": "string", "enum": ["true"]}},
                        "HEALTHKG-Row-Limit": {"description": "the row cap, when it cut the answer",
                                               "schema": {"type": "string"}}}}


E400 = _error("Malformed query or parameters (the parser's message), a refused SERVICE/LOAD, "
              "or a request nested or chained past HEALTHKG_SPARQL_MAX_DEPTH / HEALTHKG_SPARQL_MAX_OPERATORS",
              "query_syntax_error", "error at 1:1: expected one of ...")
E403 = _error("Updates are disabled, or the bearer token is missing or wrong", "forbidden",
              "SPARQL Update is disabled on this server")
E404 = _error("No graph of that name", "not_found", "no graph named <https://example.org/g>")
E406 = _error("No result format fits the Accept header or `format=`", "not_acceptable",
              "no acceptable format for solutions results")
E413 = _error("The request body is over HEALTHKG_MAX_BODY_BYTES", "too_large",
              "request body larger than 1048576 bytes")
E415 = _error("A POST whose Content-Type is none of the three the protocol allows",
              "unsupported_media_type", "POST needs Content-Type application/x-www-form-urlencoded, ...")
E503 = _error("The query timed out, the workers are busy, or the store is down (Retry-After is set)",
              "query_timeout", "the query ran longer than 10 s and was cancelled")


def _parameter(name: str, description: str, example: str | None = None, *, many: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}} if many else {"type": "string"}
    out: dict[str, Any] = {"name": name, "in": "query", "required": False, "description": description,
                           "schema": schema}
    if example is not None:
        out["example"] = [example] if many else example
    return out


QUERY_PARAMETERS = [
    _parameter("query", "A SPARQL 1.1 query; without one, the service description (or YASGUI for a browser).", ASK),
    _parameter("default-graph-uri", "Graphs whose merge is the default graph (instead of the union).", many=True),
    _parameter("named-graph-uri", "Graphs the query may name with GRAPH (instead of all).", many=True),
    _parameter("format", "Result format overriding Accept: json, xml, csv, tsv, turtle, nt, jsonld, n3, "
               "rdfxml or a media type (also as `output=` and `results=`).", "json"),
]
FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"query": {"type": "string", "description": "A SPARQL query."},
                   "update": {"type": "string", "description": "A SPARQL update (enabled servers, bearer token)."},
                   "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                   "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                   "using-graph-uri": {"type": "array", "items": {"type": "string"}},
                   "using-named-graph-uri": {"type": "array", "items": {"type": "string"}},
                   "format": {"type": "string"}},
    "example": {"query": ASK},
}


def sparql_operation(method: str) -> dict[str, Any]:
    """``openapi_extra`` and ``responses`` for one method of /sparql."""
    responses: dict[int | str, dict[str, Any]] = {
        200: _answer((*ANSWER_TYPES, "text/html"),
                     "Query results in the negotiated format; without a query, the service description "
                     "(Turtle and the other RDF types) or YASGUI (HTML)"),
        400: E400, 406: E406, 503: E503}
    extra: dict[str, Any] = {"parameters": QUERY_PARAMETERS}
    if method == "POST":
        responses.update({204: {"description": "The update ran"}, 403: E403, 413: E413, 415: E415})
        extra = {"parameters": QUERY_PARAMETERS[1:], "requestBody": {"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": FORM_SCHEMA},
            "application/sparql-query": {"schema": {"type": "string", "example": ASK}},
            "application/sparql-update": {"schema": {"type": "string", "example": "INSERT DATA { }"}}}}}
    return {"openapi_extra": extra, "responses": responses}


def graph_store_operation() -> dict[str, Any]:
    """``openapi_extra`` and ``responses`` for /rdf-graph-store (GET and HEAD)."""
    params = [_parameter("graph", "The IRI of the graph to read (or give `default`).",
                         "https://healthkg.example.org/article/botox-hair-loss"),
              {"name": "default", "in": "query", "required": False, "allowEmptyValue": True,
               "description": "Read the default graph (the union of the named graphs).", "schema": {"type": "string"}},
              _parameter("format", "RDF format overriding Accept: turtle, nt, jsonld, rdfxml, n3 or a media type.")]
    responses: dict[int | str, dict[str, Any]] = {
        200: _answer(RESULT_MEDIA_TYPES["graph"], "The graph in the negotiated RDF format"),
        400: _error("Neither or both of `graph` and `default`, or an invalid IRI", "bad_request",
                    "give exactly one of ?default or ?graph=<iri>"),
        404: E404, 406: E406, 503: E503}
    return {"openapi_extra": {"parameters": params}, "responses": responses}
