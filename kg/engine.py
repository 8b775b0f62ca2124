"""The SPARQL query engine: a small interface, and the embedded Oxigraph engine.

The protocol layer (``api.sparql``) only sees :class:`QueryEngine`; backends:
:class:`OxigraphEngine` (here) and the remote-store engine (``kg.remote_engine``).

Oxigraph results are bound to the thread that made them and pyoxigraph has no query
timeout, so :class:`OxigraphEngine` runs every query in a pool of worker *processes*
(``spawn`` context): each runs, consumes and serialises its results on its own main
thread and sends bytes back in chunks; a query past its limit is ended by SIGKILL.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import multiprocessing as mp
import os
import queue
import re
import shutil
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from kg.errors import (
    BadRequest,
    Forbidden,
    HealthKGError,
    NotAcceptable,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
)

log = logging.getLogger("healthkg.engine")

QueryKind = Literal["solutions", "boolean", "graph"]

# The media types an engine serves, per result form; the first is the default.
RESULT_MEDIA_TYPES: dict[QueryKind, tuple[str, ...]] = {
    "solutions": ("application/sparql-results+json", "application/sparql-results+xml",
                  "text/csv", "text/tab-separated-values", "text/plain"),
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "graph": ("text/turtle", "application/n-triples", "application/rdf+xml",
              "application/ld+json", "text/n3"),
}
# text/plain carries CSV (as Oxigraph's server does); text/n3 carries Turtle, which is N3.


@dataclass
class QueryOutcome:
    """A query's answer: its form, the media type it is serialised in, and the bytes.

    ``chunks`` is consumed once; large results stream through it. Errors that happen
    before the first chunk (syntax, timeout, store down) are raised by ``query`` itself.
    ``truncated`` says the row cap (``row_limit``) cut the answer.
    """

    kind: QueryKind
    media_type: str
    chunks: Iterator[bytes] = field(repr=False)
    truncated: bool = False
    row_limit: int | None = None

    def read(self) -> bytes:
        """All the bytes at once (tests, small answers)."""
        return b"".join(self.chunks)


class QueryEngine(ABC):
    """Runs SPARQL queries and updates against one dataset.

    Errors raised are ``kg.errors`` types: QuerySyntaxError (400, the parser's message),
    QueryTimeout (503), StoreUnavailable (503), Forbidden (403), NotAcceptable (406).
    """

    @abstractmethod
    def query(self, query: str, *, default_graph_uris: list[str] | None = None,
              named_graph_uris: list[str] | None = None, media_type: str,
              timeout: float | None = None) -> QueryOutcome:
        """Run ``query`` and serialise its results in ``media_type``.

        ``media_type`` is the negotiated type for the query's form (the protocol layer
        knows the form from :func:`query_form`); a type that does not fit the form
        raises NotAcceptable. Without dataset arguments (and without FROM), the default
        graph is the union of the named graphs.
        """

    @abstractmethod
    def update(self, update: str, *, using_graph_uris: list[str] | None = None,
               using_named_graph_uris: list[str] | None = None,
               timeout: float | None = None) -> None:
        """Run a SPARQL 1.1 Update; Forbidden when the engine is read-only."""

    @abstractmethod
    def select(self, query: str) -> list[dict[str, Any]]:
        """Run a SELECT over the union of the named graphs; rows as SPARQL-JSON term dicts."""

    def switch(self, store_path: Path | str) -> None:  # noqa: B027 - optional hook
        """A new build generation appeared at ``store_path``: later queries go to it."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release processes, connections and files."""


# --------------------------------------------------------------------------------------
# A small SPARQL lexer: enough to find a query's form, its FROM clauses and an update's
# WHERE / USING / WITH keywords, without being fooled by strings, IRIs or comments.

class Token(NamedTuple):
    kind: str  # "iri", "string", "var", "word", "punct"
    text: str
    start: int


_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<word>(?:[^\s{}()\[\];,"'<>\#=!&|*/+^\\]|\\.)+)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)


def sparql_tokens(text: str) -> list[Token]:
    """Significant tokens of a query or update (whitespace and comments dropped)."""
    out = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "punct"
        if kind not in ("ws", "comment"):
            out.append(Token(kind, m.group(), m.start()))
    return out


def _keyword(tok: Token) -> str:
    return tok.text.upper() if tok.kind == "word" else ""


_FORMS: dict[str, QueryKind] = {"SELECT": "solutions", "ASK": "boolean",
                                "CONSTRUCT": "graph", "DESCRIBE": "graph"}


def query_form(query: str) -> QueryKind | None:
    """The result form of a query (None when it is not a query at all)."""
    for tok in sparql_tokens(query):
        kw = _keyword(tok)
        if kw in _FORMS:
            return _FORMS[kw]
        if kw not in ("PREFIX", "BASE") and tok.kind != "iri" and not tok.text.endswith(":"):
            return None
    return None


def has_dataset_clause(query: str) -> bool:
    """Whether a query names its own dataset (FROM / FROM NAMED)."""
    return any(_keyword(t) == "FROM" for t in sparql_tokens(query))


Op = list[tuple[Token, int]]


def _operations(tokens: list[Token]) -> list[Op]:
    """Split an update's tokens into operations at top-level ';', each token with its depth."""
    ops: list[Op] = [[]]
    depth = 0
    for tok in tokens:
        if tok.kind == "punct" and tok.text in ("{", "}"):
            depth += 1 if tok.text == "{" else -1
        if depth == 0 and tok.kind == "punct" and tok.text == ";":
            ops.append([])
        else:
            ops[-1].append((tok, depth))
    return ops


def apply_using(update: str, using: list[str], using_named: list[str]) -> str:
    """Splice protocol ``using-graph-uri`` / ``using-named-graph-uri`` into each
    DELETE/INSERT ... WHERE operation (DELETE WHERE is expanded to allow it).

    BadRequest when an operation has its own USING or WITH (the protocol forbids both).
    The IRIs must already be validated.
    """
    if not using and not using_named:
        return update
    clause = "".join(f"USING <{u}> " for u in using) + "".join(
        f"USING NAMED <{u}> " for u in using_named)
    edits: list[tuple[int, int, str]] = []
    for op in _operations(sparql_tokens(update)):
        if any(_keyword(t) in ("USING", "WITH") for t, depth in op if depth == 0):
            raise BadRequest("using-graph-uri/using-named-graph-uri cannot be combined "
                             "with USING or WITH in the update")
        edits.extend(_where_edits(update, op, clause))
    for start, end, text in sorted(edits, reverse=True):
        update = update[:start] + text + update[end:]
    return update


def _where_edits(update: str, op: Op, clause: str) -> list[tuple[int, int, str]]:
    """The text edits that give one operation the USING clause."""
    for i, (tok, depth) in enumerate(op):
        if depth != 0 or _keyword(tok) != "WHERE":
            continue
        if i and _keyword(op[i - 1][0]) == "DELETE" and i + 1 < len(op):
            pattern = update[op[i + 1][0].start:_group_end(op, i + 1)]
            return [(tok.start, tok.start + len(tok.text), f"{pattern} {clause}WHERE")]
        return [(tok.start, tok.start, clause)]
    return []


def _group_end(op: Op, open_index: int) -> int:
    """End offset of the ``{ ... }`` group whose '{' is at ``op[open_index]``."""
    depth = 0
    for tok, _ in op[open_index:]:
        if tok.kind == "punct" and tok.text in ("{", "}"):
            depth += 1 if tok.text == "{" else -1
            if depth == 0:
                return tok.start + 1
    raise QuerySyntaxError("unbalanced braces in the update")


# --------------------------------------------------------------------------------------
# Serialisers, run in the worker on the thread that made the results. Solutions are written
# here, not by pyoxigraph's QuerySolutions.serialize: the row cap must be read before the first
# byte (the headers say whether it cut the answer) and XML must be checked first, and that
# serialiser only writes a whole result. Their output is held to pyoxigraph's, term for term
# (tests/test_sparql_engine.py); booleans and graphs go through pyoxigraph's own writers.

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
ITS = "http://www.w3.org/2005/11/its"


def term_json(term: Any) -> dict[str, Any]:
    """A pyoxigraph term as a SPARQL 1.1 JSON results term."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction:  # SPARQL 1.2: a directional language-tagged string
                out["its:dir"] = str(term.direction)
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": term_json(term.subject),
                                        "predicate": term_json(term.predicate),
                                        "object": term_json(term.object)}}


def _term_xml(term: Any) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            attr = f" xml:lang={quoteattr(term.language)}"
            if term.direction:  # as pyoxigraph writes it (SPARQL 1.2 XML results)
                attr += f" its:dir={quoteattr(str(term.direction))} xmlns:its=\"{ITS}\" its:version=\"2.0\""
        elif term.datatype.value != XSD_STRING:
            attr = f" datatype={quoteattr(term.datatype.value)}"
        else:
            attr = ""
        return f"<literal{attr}>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_term_xml(term.subject)}</subject><predicate>"
            f"{_term_xml(term.predicate)}</predicate><object>{_term_xml(term.object)}</object></triple>")


def _term_csv(term: Any) -> str:
    """A term in CSV results, as pyoxigraph writes it: IRIs and literals bare, a triple term as
    its three parts separated by spaces."""
    import pyoxigraph as ox

    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    if isinstance(term, ox.Triple):
        return " ".join(_term_csv(t) for t in (term.subject, term.predicate, term.object))
    return str(term)


def _term_tsv(term: Any) -> str:
    """A term in TSV results (its N-Triples form; a triple term as ``<<( s p o )>>``, SPARQL 1.2)."""
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        return f"<<( {_term_tsv(term.subject)} {_term_tsv(term.predicate)} {_term_tsv(term.object)} )>>"
    if isinstance(term, ox.Literal) and not term.language:
        bare = _TURTLE_BARE.get(term.datatype.value)
        if bare is not None and bare.fullmatch(term.value):
            return term.value
    return str(term)


# Numbers and booleans whose lexical form is Turtle's own token are written bare in TSV (as
# pyoxigraph does): INTEGER, DECIMAL, DOUBLE (with its exponent), BooleanLiteral.
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TURTLE_BARE = {
    f"{_XSD}integer": re.compile(r"[+-]?[0-9]+"),
    f"{_XSD}decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    f"{_XSD}double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
    f"{_XSD}boolean": re.compile(r"true|false"),
}


# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
XML_TYPES = ("application/sparql-results+xml", "application/rdf+xml")


def check_xml_safe(terms: Iterable[Any]) -> None:
    """NotAcceptable when a term holds a character XML 1.0 cannot carry (U+0000, U+0001,
    U+FFFE...): the answer would not be well-formed, so it is refused before any byte is sent."""
    import pyoxigraph as ox

    for term in terms:
        if term is None:
            continue
        if isinstance(term, ox.Triple):
            check_xml_safe((term.subject, term.predicate, term.object))
            continue
        found = _NOT_XML.search(term.value)
        if found:
            code = f"U+{ord(found.group()):04X}"
            raise NotAcceptable(f"the answer holds the character {code}, which XML 1.0 cannot "
                                "carry; ask for JSON, CSV or TSV (or N-Triples, Turtle) instead",
                                {"character": code})


def check_rows_xml_safe(names: list[str], rows: Iterable[Any]) -> None:
    check_xml_safe(row[n] for row in rows for n in names)


def _json_rows(names: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    head = json.dumps({"vars": names}, ensure_ascii=False, separators=(",", ":"))
    yield f'{{"head":{head},"results":{{"bindings":['.encode()
    sep = ""
    for row in rows:
        binding = {n: term_json(row[n]) for n in names if row[n] is not None}
        yield (sep + json.dumps(binding, ensure_ascii=False, separators=(",", ":"))).encode()
        sep = ","
    yield b"]}}"


def _xml_rows(names: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
    yield (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
           f"<head>{head}</head><results>").encode()
    for row in rows:
        cells = "".join(f"<binding name={quoteattr(n)}>{_term_xml(row[n])}</binding>"
                        for n in names if row[n] is not None)
        yield f"<result>{cells}</result>".encode()
    yield b"</results></sparql>"


def _csv_rows(names: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row[n] is None else _term_csv(row[n]) for n in names])
        if buf.tell() > 16384:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def _tsv_rows(names: list[str], rows: Iterable[Any]) -> Iterator[bytes]:
    yield ("\t".join(f"?{n}" for n in names) + "\n").encode()
    for row in rows:
        yield ("\t".join(_term_tsv(row[n]) for n in names) + "\n").encode()


_SOLUTION_WRITERS: dict[str, Callable[[list[str], Iterable[Any]], Iterator[bytes]]] = {
    "application/sparql-results+json": _json_rows,
    "application/sparql-results+xml": _xml_rows,
    "text/csv": _csv_rows,
    "text/tab-separated-values": _tsv_rows,
    "text/plain": _csv_rows,
}


def served_type(media_type: str) -> str:
    """The Content-Type header for a served media type (text types say their charset)."""
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


# --------------------------------------------------------------------------------------
# The worker process.

CHUNK_SIZE = 64 * 1024


class _Sink:
    """Buffers serialised bytes and sends them to the parent in chunks; a file for pyoxigraph."""

    def __init__(self, conn: Connection, kind: QueryKind, media_type: str) -> None:
        self.conn, self.kind, self.media_type = conn, kind, media_type
        self.buf = bytearray()
        self.started = False
        self.truncated = False

    def write(self, data: bytes) -> int:
        self.buf += data
        if len(self.buf) >= CHUNK_SIZE:
            self._send(False)
        return len(data)

    def flush(self) -> None:
        """pyoxigraph calls this; chunks are sent by size, not on flush."""

    def _send(self, done: bool) -> None:
        if not self.started:
            self.conn.send(("head", self.kind, self.media_type, self.truncated))
            self.started = True
        self.conn.send(("data", bytes(self.buf), done))
        self.buf.clear()

    def close(self) -> None:
        self._send(True)


def _watch_parent(parent_pid: int) -> None:
    """Exit when the parent dies, even in the middle of a query (a daemon thread)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


def worker_main(conn: Connection, path: str, writable: bool, base_iri: str | None,
                memory_mb: int | None = None) -> None:
    """A query worker: open the store, then answer requests one at a time until EOF.

    ``memory_mb`` caps the worker's data segment (RLIMIT_DATA: heap and anonymous maps, not the
    store's file maps): a query that would eat the machine kills only its worker, which the
    pool replaces, and the client gets 503 "the query worker died"."""
    import pyoxigraph as ox

    if memory_mb:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        store = ox.Store(path) if writable else ox.Store.read_only(path)
    except OSError as exc:
        conn.send(("error", "store", f"cannot open the store at {path}: {exc}"))
        return
    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        _serve(store, conn, request, base_iri)


def _serve(store: Any, conn: Connection, request: dict[str, Any], base_iri: str | None) -> None:
    """Answer one request; every failure goes back as an ("error", code, message) message."""
    try:
        op = request["op"]
        if op == "update":
            store.update(request["update"], base_iri=base_iri)
            store.flush()  # to disk now: the next build checkpoints this store from a read-only handle
            conn.send(("done",))
        elif op == "snapshot":  # a checkpoint for the read-only workers (writer only)
            store.backup(request["path"])
            conn.send(("done",))
        elif op == "select":
            conn.send(("rows", _select_rows(store, request, base_iri)))
        else:
            _run_query(store, conn, request, base_iri)
    except SyntaxError as exc:
        conn.send(("error", "syntax", str(exc)))
    except HealthKGError as exc:
        conn.send(("error", exc.code, exc.message))
    except (OSError, RuntimeError, ValueError) as exc:
        conn.send(("error", "store", f"{type(exc).__name__}: {exc}"))


def _dataset_options(query: str, default: list[str] | None, named: list[str] | None) -> dict[str, Any]:
    """pyoxigraph dataset options: the protocol's graphs, else FROM, else the union."""
    import pyoxigraph as ox

    if default is not None or named is not None:
        return {"default_graph": [ox.NamedNode(u) for u in default or []],
                "named_graphs": [ox.NamedNode(u) for u in named or []]}
    if has_dataset_clause(query):
        return {}
    return {"use_default_graph_as_union": True}


def _select_rows(store: Any, request: dict[str, Any], base_iri: str | None) -> list[dict[str, Any]]:
    solutions = store.query(request["query"], base_iri=base_iri, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [{n: term_json(row[n]) for n in names if row[n] is not None}
            for row in islice(solutions, request["max_rows"])]


def _run_query(store: Any, conn: Connection, request: dict[str, Any], base_iri: str | None) -> None:
    """Run a query and stream its serialisation through a :class:`_Sink`."""
    import pyoxigraph as ox

    query, media_type = request["query"], request["media_type"]
    result = store.query(query, base_iri=base_iri,
                         **_dataset_options(query, request["default"], request["named"]))
    kind: QueryKind = ("solutions" if isinstance(result, ox.QuerySolutions) else
                       "graph" if isinstance(result, ox.QueryTriples) else "boolean")
    if media_type not in RESULT_MEDIA_TYPES[kind]:
        raise NotAcceptable(f"{media_type} cannot carry the results of this query",
                            {"acceptable": list(RESULT_MEDIA_TYPES[kind])})
    sink = _Sink(conn, kind, served_type(media_type))
    try:
        _serialise(result, kind, media_type, request["max_rows"], sink)
    except (OSError, RuntimeError, ValueError) as exc:
        if sink.started:  # the parent is streaming already: tell it to cut the answer
            raise HealthKGError(f"{type(exc).__name__}: {exc}") from exc
        raise
    sink.close()


def _serialise(result: Any, kind: QueryKind, media_type: str, cap: int, sink: _Sink) -> None:
    """Write at most ``cap`` rows or triples of ``result`` into ``sink``."""
    import pyoxigraph as ox

    if kind == "solutions":
        names = [v.value for v in result.variables]
        rows, sink.truncated = capped(result, cap)
        if media_type in XML_TYPES:
            check_rows_xml_safe(names, rows)
        for part in _SOLUTION_WRITERS[media_type](names, rows):
            sink.write(part)
    elif kind == "boolean":
        result.serialize(sink, ox.QueryResultsFormat.from_media_type(media_type))
    else:
        triples, sink.truncated = capped(result, cap)
        if media_type in XML_TYPES:
            check_xml_safe(t for triple in triples for t in (triple.subject, triple.predicate, triple.object))
        ox.serialize(triples, sink,  # type: ignore[arg-type]  # a file-like sink
                     ox.RdfFormat.from_media_type(media_type))


def capped(items: Iterable[Any], cap: int) -> tuple[list[Any], bool]:
    """At most ``cap`` items, and whether there were more (read before anything is sent,
    so that the response headers can say the answer was cut)."""
    head = list(islice(items, cap + 1))
    return head[:cap], len(head) > cap


# --------------------------------------------------------------------------------------
# The parent side: a pool of worker processes.

_ERRORS: dict[str, type[HealthKGError]] = {
    "syntax": QuerySyntaxError, "store": StoreUnavailable, "not_acceptable": NotAcceptable,
    "bad_request": BadRequest, "query_syntax_error": QuerySyntaxError,
}


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, path: str, writable: bool, base_iri: str | None,
                 generation: int, memory_mb: int | None = None) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=worker_main, args=(child, path, writable, base_iri, memory_mb),
                                   daemon=True, name=f"healthkg-sparql-{generation}")
        self.process.start()
        child.close()
        self.generation = generation
        self.ready = False

    def recv(self, timeout: float) -> Any:
        """The next message, or None when none came within ``timeout`` seconds."""
        if not self.conn.poll(max(timeout, 0.0)):
            return None
        return self.conn.recv()

    def wait_ready(self, timeout: float) -> None:
        """Wait for the start-up message; StoreUnavailable when the store cannot open."""
        while not self.ready:
            try:
                msg = self.recv(timeout)
            except (EOFError, OSError) as exc:
                raise StoreUnavailable(f"the query worker failed to start: {exc}") from exc
            if msg is None:
                raise QueryTimeout("the query worker did not start in time")
            if msg[0] == "error":
                raise StoreUnavailable(msg[2])
            self.ready = msg[0] == "ready"

    def stop(self, kill: bool) -> None:
        """End the process: SIGKILL (a runaway query) or a polite request to exit."""
        if kill or not self.ready:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.process.kill()
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.conn.close()


class OxigraphEngine(QueryEngine):
    """Oxigraph on disk, queried in worker processes that can be killed on timeout.

    Read-only (the default): ``workers`` processes each open the generation directory
    with ``Store.read_only``. ``writable=True``: one writer process opens it read-write and
    runs the updates, one at a time; queries still go to ``workers`` read-only processes,
    which read a checkpoint of the store (``Store.backup``: hard links, milliseconds) taken
    after each update, so that a long or timed-out query never holds up the others or the
    writer (a read-only handle on a store another process writes is undefined behaviour in
    Oxigraph, a checkpoint nobody writes is not). ``base_iri`` resolves relative IRIs in
    requests; ``memory_mb`` caps each worker's memory (see :func:`worker_main`).
    """

    def __init__(self, store_path: Path | str, *, workers: int = 2, timeout: float = 10.0,
                 max_rows: int = 100_000, writable: bool = False,
                 base_iri: str | None = None, start_timeout: float = 60.0, memory_mb: int | None = None) -> None:
        self.timeout, self.max_rows, self.writable = timeout, max_rows, writable
        self.base_iri = base_iri
        self.memory_mb = memory_mb
        self.size = max(1, workers)
        self._ctx = mp.get_context("spawn")
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()  # one update (and its checkpoint) at a time
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()  # every live reader, idle or busy
        self._snapshots: dict[int, str] = {}  # reader generation -> its checkpoint directory
        self._generation = 0
        self._closed = False
        self._store_path = str(store_path)
        self._writer: _Worker | None = None
        self._path = self._store_path
        if writable:
            self._writer = self._start_writer(self._store_path, start_timeout)
            self._path = self._snapshot(self._writer, 0, self._store_path)
        for worker in self._start_pool(start_timeout, self._path, 0):
            self._idle.put(worker)

    # -- pool management -------------------------------------------------------------

    def _spawn(self, path: str, generation: int) -> _Worker:
        worker = _Worker(self._ctx, path, False, self.base_iri, generation, self.memory_mb)
        with self._lock:
            self._workers.add(worker)
            live = self._live(generation)
        log.info("query worker %d started (generation %d): pool %d of %d", worker.process.pid,
                 generation, live, self.size)
        return worker

    def _live(self, generation: int) -> int:
        """Readers of ``generation`` not stopped yet (idle or busy); call with the lock held."""
        return sum(1 for w in self._workers if w.generation == generation)

    def _stop(self, worker: _Worker, *, kill: bool) -> None:
        """Stop a reader; a checkpoint no reader uses any more is deleted."""
        worker.stop(kill=kill)
        with self._lock:
            self._workers.discard(worker)
            used = {w.generation for w in self._workers}
            stale = [g for g in self._snapshots if g not in used and (g != self._generation or self._closed)]
            dirs = [self._snapshots.pop(g) for g in stale]
        for directory in dirs:
            shutil.rmtree(directory, ignore_errors=True)

    def _start_pool(self, start_timeout: float, path: str, generation: int) -> list[_Worker]:
        """Start the workers of one generation and wait until they are ready."""
        fresh = [self._spawn(path, generation) for _ in range(self.size)]
        try:
            for worker in fresh:
                worker.wait_ready(start_timeout)
        except HealthKGError:
            for worker in fresh:
                self._stop(worker, kill=True)
            raise
        return fresh

    def _acquire(self, deadline: float) -> _Worker:
        """An idle worker of the current generation, waiting at most until ``deadline``."""
        while True:
            if self._closed:
                raise StoreUnavailable("the query engine is closed")
            try:
                worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise QueryTimeout("all query workers are busy; try again shortly") from None
            if worker.generation == self._generation and worker.process.is_alive():
                break
            self._retire(worker, kill=True)
        try:
            worker.wait_ready(deadline - time.monotonic())
        except HealthKGError:
            self._retire(worker, kill=True)
            raise
        return worker

    def _release(self, worker: _Worker) -> None:
        """Give a worker back, or retire it when a newer generation replaced it."""
        if worker.generation == self._generation and not self._closed:
            self._idle.put(worker)
        else:
            self._stop(worker, kill=False)

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        """Stop a worker and, when it belongs to the current generation, start a twin; the pool's
        size is logged, and a pool found short of ``size`` afterwards is logged as an error."""
        died = not worker.process.is_alive()
        self._stop(worker, kill=kill)
        with self._lock:
            current = worker.generation == self._generation and not self._closed
            log.warning("query worker %d %s (generation %d): pool %d of %d%s", worker.process.pid,
                        "died" if died else "was killed", worker.generation, self._live(worker.generation),
                        self.size, ", replacing it" if current else "")
            if current:
                self._idle.put(self._spawn(self._path, self._generation))
                if self._live(self._generation) != self.size:
                    log.error("query worker pool holds %d workers, not %d", self._live(self._generation),
                              self.size)

    def _switch_readers(self, path: str, generation: int) -> None:
        """Start readers on ``path``; in-flight queries finish on the old ones."""
        fresh = self._start_pool(60.0, path, generation)
        with self._lock:
            self._path, self._generation = path, generation
            old = self._drain()
            for worker in fresh:
                self._idle.put(worker)
        for worker in old:
            self._stop(worker, kill=False)

    def switch(self, store_path: Path | str) -> None:
        """Start workers on the new generation; in-flight queries finish on the old one."""
        path = str(store_path)
        if not self.writable:
            self._switch_readers(path, self._generation + 1)
            return
        with self._write_lock:
            writer = self._start_writer(path)
            generation = self._generation + 1
            try:
                snapshot = self._snapshot(writer, generation, path)
            except HealthKGError:
                writer.stop(kill=True)
                raise
            old, self._writer, self._store_path = self._writer, writer, path
            self._switch_readers(snapshot, generation)
        if old is not None:
            old.stop(kill=False)

    def _drain(self) -> list[_Worker]:
        out = []
        while True:
            try:
                out.append(self._idle.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Stop the writer and every idle worker; busy ones stop when their query ends."""
        with self._lock:
            self._closed = True
            old = self._drain()
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.stop(kill=False)
        for worker in old:
            self._stop(worker, kill=False)

    # -- the writer (updates-enabled mode) ------------------------------------------

    def _start_writer(self, path: str, start_timeout: float = 60.0) -> _Worker:
        writer = _Worker(self._ctx, path, True, self.base_iri, -1, self.memory_mb)
        try:
            writer.wait_ready(start_timeout)
        except HealthKGError:
            writer.stop(kill=True)
            raise
        return writer

    def _snapshot(self, writer: _Worker, generation: int, store_path: str) -> str:
        """A checkpoint of the writer's store beside it, for the readers of ``generation``."""
        parent = tempfile.mkdtemp(prefix=".reads-", dir=Path(store_path).parent)
        target = str(Path(parent) / "store")
        try:
            writer.conn.send({"op": "snapshot", "path": target})
            msg = writer.recv(60.0)
        except (OSError, EOFError) as exc:
            msg = ("error", "store", f"the writer died: {exc}")
        if msg is None or msg[0] == "error":
            shutil.rmtree(parent, ignore_errors=True)
            raise StoreUnavailable(f"cannot checkpoint the store for the readers: {msg[2] if msg else 'timeout'}")
        with self._lock:
            self._snapshots[generation] = parent
        return target

    def _write(self, request: dict[str, Any], timeout: float | None) -> _Worker:
        """Run an update on the writer (started afresh when it died or was killed); the writer."""
        limit = self.timeout if timeout is None else timeout
        if self._writer is None or not self._writer.process.is_alive():
            if self._writer is not None:
                self._writer.stop(kill=True)
            self._writer = self._start_writer(self._store_path)
        writer = self._writer
        try:
            writer.conn.send(request)
            msg = writer.recv(limit)
        except (OSError, EOFError) as exc:
            writer.stop(kill=True)
            raise StoreUnavailable(f"the update worker died: {exc}") from exc
        if msg is None:
            writer.stop(kill=True)
            raise QueryTimeout(f"the update ran longer than {limit:g} s and was cancelled", {"timeout": limit})
        if msg[0] == "error":
            raise _ERRORS.get(msg[1], StoreUnavailable)(msg[2])
        return writer

    # -- requests ----------------------------------------------------------------------

    def _call(self, request: dict[str, Any], timeout: float | None) -> tuple[_Worker, Any, float]:
        """Send a request to a worker; return it, its first answer and the deadline."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        worker = self._acquire(deadline)
        try:
            worker.conn.send(request)
            msg = worker.recv(deadline - time.monotonic())
        except (OSError, EOFError) as exc:
            self._retire(worker, kill=True)
            raise StoreUnavailable(f"the query worker died: {exc}") from exc
        if msg is None:
            self._retire(worker, kill=True)
            raise QueryTimeout(f"the query ran longer than {limit:g} s and was cancelled",
                               {"timeout": limit})
        return worker, msg, deadline

    def _check(self, worker: _Worker, msg: Any) -> None:
        """Release the worker and raise when ``msg`` is an error."""
        if msg[0] == "error":
            self._release(worker)
            raise _ERRORS.get(msg[1], StoreUnavailable)(msg[2])

    def query(self, query: str, *, default_graph_uris: list[str] | None = None,
              named_graph_uris: list[str] | None = None, media_type: str,
              timeout: float | None = None) -> QueryOutcome:
        _validate_iris((default_graph_uris or []) + (named_graph_uris or []))
        request = {"op": "query", "query": query, "media_type": media_type,
                   "default": default_graph_uris, "named": named_graph_uris,
                   "max_rows": self.max_rows}
        worker, msg, deadline = self._call(request, timeout)
        self._check(worker, msg)
        _, kind, served, truncated = msg
        return QueryOutcome(kind, served, _ResultStream(self, worker, deadline), truncated,
                            self.max_rows if truncated else None)

    def update(self, update: str, *, using_graph_uris: list[str] | None = None,
               using_named_graph_uris: list[str] | None = None,
               timeout: float | None = None) -> None:
        if not self.writable:
            raise Forbidden("this store is read-only: updates are disabled")
        using, named = using_graph_uris or [], using_named_graph_uris or []
        _validate_iris(using + named)
        request = {"op": "update", "update": apply_using(update, using, named)}
        with self._write_lock:  # the readers move to a checkpoint holding the update before it returns
            writer = self._write(request, timeout)
            generation = self._generation + 1
            self._switch_readers(self._snapshot(writer, generation, self._store_path), generation)

    def select(self, query: str) -> list[dict[str, Any]]:
        worker, msg, _ = self._call({"op": "select", "query": query,
                                     "max_rows": self.max_rows}, None)
        self._check(worker, msg)
        self._release(worker)
        return list(msg[1])


def _validate_iris(iris: list[str]) -> None:
    """BadRequest unless every graph IRI is an absolute IRI (they are spliced into text)."""
    import pyoxigraph as ox

    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise BadRequest(f"invalid graph IRI {iri!r}: {exc}") from exc
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri):
            raise BadRequest(f"graph IRI {iri!r} is not absolute")


class _ResultStream(Iterator[bytes]):
    """The chunks of one answer, read from the worker; a dropped stream kills the worker."""

    def __init__(self, engine: OxigraphEngine, worker: _Worker, deadline: float) -> None:
        self.engine, self.worker, self.deadline = engine, worker, deadline
        self.done = False

    def __next__(self) -> bytes:
        if self.done:
            raise StopIteration
        try:
            msg = self.worker.recv(self.deadline - time.monotonic())
        except (EOFError, OSError) as exc:
            self.close()
            raise StoreUnavailable(f"the query worker died: {exc}") from exc
        if msg is None or msg[0] == "error":
            self.close()
            if msg is None:
                raise QueryTimeout("the query ran past its time limit; the answer was cut")
            raise StoreUnavailable(f"the answer was cut: {msg[2]}")
        _, data, finished = msg
        if finished:
            self.done = True
            self.engine._release(self.worker)
        return data

    def close(self) -> None:
        """Abandon the stream: the worker may still be writing, so it is replaced."""
        if not self.done:
            self.done = True
            self.engine._retire(self.worker, kill=True)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown nothing is left to do
            self.close()
