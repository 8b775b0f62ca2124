"""The query engine of the remote store: forwards ``/sparql`` requests to a SPARQL 1.1 server.

It behaves as the embedded :class:`kg.engine.OxigraphEngine` does: the same errors
(QuerySyntaxError with the server's message, QueryTimeout within the limit, StoreUnavailable
naming the endpoint when the server is down, Forbidden when read-only), the same media
types, and the same bytes: answers are fetched as SPARQL JSON or N-Triples, normalised
(``kg.sparql_store.normalise_term``) and serialised by the embedded engine's writers.
Nothing is cached between requests, so a server that comes back is used again at once.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.engine import (
    _SOLUTION_WRITERS,
    RESULT_MEDIA_TYPES,
    XML_TYPES,
    QueryEngine,
    QueryKind,
    QueryOutcome,
    apply_using,
    check_rows_xml_safe,
    check_xml_safe,
    query_form,
    served_type,
)
from kg.errors import BadRequest, Forbidden, NotAcceptable, QuerySyntaxError, StoreUnavailable
from kg.sparql_store import (
    JSON_RESULTS,
    SparqlClient,
    check_iri,
    json_boolean,
    json_rows,
    server_row_cap,
    solutions,
)

log = logging.getLogger("healthkg.remote_engine")

CHUNK_SIZE = 64 * 1024
N_TRIPLES = "application/n-triples"


class RemoteEngine(QueryEngine):
    """Queries and updates sent to a remote SPARQL endpoint (see the module docstring).

    ``writable=False`` refuses updates here, before the server sees them. ``base_iri``
    resolves relative IRIs, as in the embedded engine.
    """

    def __init__(self, query_endpoint: str, update_endpoint: str | None = None, *,
                 user: str | None = None, password: str | None = None, timeout: float = 10.0,
                 max_rows: int = 100_000, writable: bool = False, base_iri: str | None = None) -> None:
        self.client = SparqlClient(query_endpoint, update_endpoint or query_endpoint, user, password,
                                   timeout, update_timeout=timeout)
        self.timeout, self.max_rows, self.writable = timeout, max_rows, writable
        self.base_iri = check_iri(base_iri) if base_iri else None

    @classmethod
    def from_settings(cls, settings: Any) -> RemoteEngine:
        """The engine of ``HEALTHKG_STORE=sparql`` (endpoints, credentials, limits)."""
        if not settings.sparql_query_endpoint:
            raise StoreUnavailable("HEALTHKG_STORE=sparql needs HEALTHKG_SPARQL_QUERY_ENDPOINT")
        password = settings.sparql_password.get_secret_value() if settings.sparql_password else None
        return cls(settings.sparql_query_endpoint, settings.sparql_update_endpoint,
                   user=settings.sparql_user, password=password, timeout=settings.sparql_timeout,
                   max_rows=settings.sparql_max_rows, writable=settings.update_enabled,
                   base_iri=settings.base_iri)

    def _based(self, text: str) -> str:
        # Same line, so the server's line numbers in error messages stay right.
        return f"BASE <{self.base_iri}> {text}" if self.base_iri else text

    # -- queries -------------------------------------------------------------------------

    def query(self, query: str, *, default_graph_uris: list[str] | None = None,
              named_graph_uris: list[str] | None = None, media_type: str,
              timeout: float | None = None) -> QueryOutcome:
        default, named = _checked(default_graph_uris), _checked(named_graph_uris)
        kind = _query_kind(query)
        if media_type not in RESULT_MEDIA_TYPES[kind]:
            raise NotAcceptable(f"{media_type} cannot carry the results of this query",
                                {"acceptable": list(RESULT_MEDIA_TYPES[kind])})
        response = self.client.query(self._based(query), N_TRIPLES if kind == "graph" else JSON_RESULTS,
                                     default_graph_uris=default, named_graph_uris=named, timeout=timeout)
        truncated, limit = False, None
        if kind == "solutions":
            names, rows = solutions(response, self.max_rows + 1)
            truncated, limit = len(rows) > self.max_rows, self.max_rows
            server_cap = server_row_cap(response)
            if not truncated and server_cap is not None:  # the server cut the answer itself
                truncated, limit = True, min(server_cap, self.max_rows)
            ox_rows = [_OxRow(r) for r in rows[:self.max_rows]]
            if media_type in XML_TYPES:
                check_rows_xml_safe(names, ox_rows)
            parts = _SOLUTION_WRITERS[media_type](names, ox_rows)
        elif kind == "boolean":
            parts = iter([_boolean(json_boolean(response), media_type)])
        else:
            body, truncated = _graph(response.content, media_type, self.max_rows)
            limit = self.max_rows
            parts = iter([body])
        return QueryOutcome(kind, served_type(media_type), _chunked(parts), truncated,
                            limit if truncated else None)

    def select(self, query: str) -> list[dict[str, Any]]:
        response = self.client.query(self._based(query), JSON_RESULTS)
        cap = server_row_cap(response)
        if cap is not None and cap < self.max_rows:
            log.warning("the SPARQL endpoint cut an answer at %d rows (below sparql_max_rows)", cap)
        return json_rows(response, self.max_rows)

    # -- updates -------------------------------------------------------------------------

    def update(self, update: str, *, using_graph_uris: list[str] | None = None,
               using_named_graph_uris: list[str] | None = None,
               timeout: float | None = None) -> None:
        if not self.writable:
            raise Forbidden("this store is read-only: updates are disabled")
        using, named = _checked(using_graph_uris), _checked(using_named_graph_uris)
        self.client.update(self._based(apply_using(update, using, named)),
                           timeout=self.timeout if timeout is None else timeout)

    def switch(self, store_path: Path | str) -> None:
        """Builds write into the remote store itself: there is no generation to follow."""

    def close(self) -> None:
        self.client.close()


# --------------------------------------------------------------------------------------

def _checked(iris: list[str] | None) -> list[str]:
    out = []
    for iri in iris or []:
        try:
            out.append(check_iri(iri))
        except BadRequest as exc:
            raise BadRequest(f"invalid graph IRI {iri!r}: not an absolute IRI") from exc
    return out


def _query_kind(query: str) -> QueryKind:
    """The query's result form; text that is no query never reaches the server.

    (A server may run an update sent as a query, so the local parser answers instead.)
    """
    kind = query_form(query)
    if kind is not None:
        return kind
    try:
        ox.Store().query(query)
    except SyntaxError as exc:
        try:
            ox.Store().update(query)
        except (SyntaxError, OSError, ValueError):
            raise QuerySyntaxError(str(exc)) from exc
        raise QuerySyntaxError("this is an update: send it as 'update', not 'query'") from exc
    raise QuerySyntaxError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")


class _OxRow(dict[str, Any]):
    """A result row as the embedded writers read it: ``row[name]`` is a term or None."""

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__({name: _ox_term(term) for name, term in row.items()})

    def __missing__(self, key: str) -> None:
        return None


_BNODE_CHARS = re.compile(r"[^A-Za-z0-9_]")


def _ox_term(term: dict[str, Any]) -> Any:
    """A normalised SPARQL-JSON term as a pyoxigraph term."""
    kind, value = term["type"], term["value"]
    try:
        if kind == "uri":
            return ox.NamedNode(value)
        if kind == "bnode":
            return ox.BlankNode(_BNODE_CHARS.sub("_", value) or "b")
        if "xml:lang" in term:
            direction = ox.BaseDirection(term["its:dir"]) if term.get("its:dir") else None
            return ox.Literal(value, language=term["xml:lang"], direction=direction)
        if "datatype" in term:
            return ox.Literal(value, datatype=ox.NamedNode(term["datatype"]))
        return ox.Literal(value)
    except ValueError as exc:
        raise StoreUnavailable(f"the SPARQL endpoint answered a term that is not valid RDF: {value!r}") from exc


def _boolean(value: bool, media_type: str) -> bytes:
    """An ASK answer, byte for byte as pyoxigraph writes it."""
    text = "true" if value else "false"
    if media_type == "application/sparql-results+xml":
        return (f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head></head><boolean>{text}</boolean></sparql>").encode()
    return json.dumps({"head": {}, "boolean": value}, separators=(",", ":")).encode()


def _graph(ntriples: bytes, media_type: str, cap: int) -> tuple[bytes, bool]:
    """A CONSTRUCT/DESCRIBE answer (N-Triples from the server) in ``media_type``, and
    whether the cap cut it."""
    try:
        triples = [q.triple for q in islice(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES), cap + 1)]
    except SyntaxError as exc:
        raise StoreUnavailable(f"the SPARQL endpoint sent unreadable N-Triples: {exc}") from exc
    if media_type in XML_TYPES:
        check_xml_safe(t for triple in triples[:cap] for t in (triple.subject, triple.predicate, triple.object))
    body = ox.serialize(triples[:cap], format=ox.RdfFormat.from_media_type(media_type)) or b""
    return body, len(triples) > cap


def _chunked(parts: Iterable[bytes]) -> Iterator[bytes]:
    """Many small writes grouped into chunks of about ``CHUNK_SIZE`` bytes."""
    buf = bytearray()
    for part in parts:
        buf += part
        if len(buf) >= CHUNK_SIZE:
            yield bytes(buf)
            buf.clear()
    yield bytes(buf)
