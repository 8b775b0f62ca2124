"""No outbound request unless the operator allows it.

SPARQL can make the server fetch a URL: ``SERVICE <iri> { ... }`` in a query or an
update's WHERE, and ``LOAD <iri>`` in an update (Virtuoso adds ``DEFINE`` pragmas such as
``input:grab-all`` and ``get:soft``). Oxigraph federates unconditionally and pyoxigraph
offers no hook to stop it, so every query and update is checked here, before any engine
sees it:

1. A lexer (strings, IRIs, comments, escapes in prefixed names) finds the keywords
   SERVICE, LOAD and DEFINE. ``DEFINE`` is always refused; with an empty allowlist (the
   default) any of them is refused.
2. Otherwise the text is parsed by rdflib's SPARQL parser and the algebra is walked for
   every ``ServiceGraphPattern`` and ``Load``, wherever they sit (subqueries, EXISTS,
   OPTIONAL, MINUS, UNION), with prefixed names and relative IRIs resolved against BASE or
   the server's base IRI, as the engines resolve them. A target is allowed only when it is
   an IRI starting with an allowed prefix; ``SERVICE ?var`` never is. When the parser fails
   (nested SERVICE makes rdflib recurse without end) a request the lexer saw fetching is
   refused. Texts without any keyword are parsed too, up to :data:`SECOND_LINE_LIMIT`
   characters, as a second line against a lexer that missed one.

A refusal is :class:`OutboundRefused` (400) naming the target; nothing is fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from kg.engine import sparql_tokens
from kg.errors import BadRequest

log = logging.getLogger("healthkg.outbound")

KEYWORDS = ("SERVICE", "LOAD", "DEFINE")
SETTING = "HEALTHKG_SPARQL_SERVICE_ALLOW"
# rdflib's parser is pure Python and slow (4 s for a 16 KB INSERT DATA, minutes for 100 KB):
# a text that fetches is parsed up to PARSE_LIMIT characters (refused beyond); one the lexer
# sees fetching nothing is parsed again, as a second line, only up to SECOND_LINE_LIMIT.
PARSE_LIMIT = 16 * 1024
SECOND_LINE_LIMIT = 4 * 1024


class OutboundRefused(BadRequest):
    """A SERVICE, LOAD or pragma that would make the server fetch a URL it may not."""

    code = "outbound_request_refused"


class Target(NamedTuple):
    """One place a query or update would fetch from.

    ``target`` is the IRI (resolved, from the parser) or the text as written (the lexer);
    ``shown`` is how a message names it (``<iri>``, ``?var``, ``ex:name``).
    """

    keyword: str
    target: str
    shown: str
    is_variable: bool = False


def check_outbound(text: str, *, update: bool, allow: Sequence[str] = (),
                   base_iri: str | None = None) -> None:
    """Raise :class:`OutboundRefused` unless every fetch ``text`` asks for is allowed."""
    lexed = lexer_targets(text)
    for found in lexed:
        if found.keyword == "DEFINE":
            raise OutboundRefused("DEFINE pragmas are refused: they can make the store fetch URLs",
                                  {"keyword": "DEFINE"})
    if lexed and not allow:
        raise _refusal(lexed[0], "the allowlist is empty")
    if not lexed and len(text) > SECOND_LINE_LIMIT:
        return  # nothing to fetch as far as the lexer sees; too long to parse once more
    if lexed and len(text) > PARSE_LIMIT:
        raise _refusal(lexed[0], f"a request over {PARSE_LIMIT} characters that fetches "
                                 "cannot be checked")
    parsed = algebra_targets(text, update=update, base_iri=base_iri)
    if parsed is None:
        if lexed:
            first = next((t for t in lexed if not allowed(t.target, allow)), lexed[0])
            raise _refusal(first, "the request could not be checked (the SPARQL parser "
                                  "used for the check failed on it)")
        return
    for found in parsed:
        if found.is_variable:
            raise _refusal(found, "a variable target cannot be checked against the allowlist")
        if not allowed(found.target, allow):
            raise _refusal(found, "it is not on the allowlist")


def allowed(iri: str, allow: Sequence[str]) -> bool:
    """Whether ``iri`` starts with one of the allowed prefixes (an empty prefix allows nothing)."""
    return any(prefix and iri.startswith(prefix) for prefix in allow)


def _refusal(found: Target, why: str) -> OutboundRefused:
    what = f"{found.keyword} {found.shown}".strip()
    message = (f"{what} is refused: {why}; this server makes no outbound requests "
               f"except to the prefixes in {SETTING}")
    return OutboundRefused(message, {"keyword": found.keyword, "target": found.target})


# --------------------------------------------------------------------------------------
# 1. The parsed algebra.

def algebra_targets(text: str, *, update: bool, base_iri: str | None = None) -> list[Target] | None:
    """Every SERVICE and LOAD target in the parsed algebra; None when rdflib cannot parse it."""
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        if update:
            tree: Any = translateUpdate(parseUpdate(text), base=base_iri).algebra
        else:
            tree = translateQuery(parseQuery(text), base=base_iri).algebra
        return list(_walk(tree))
    except Exception as exc:  # noqa: BLE001 - any parser failure (RecursionError included) means "unchecked"
        log.debug("rdflib could not parse the request for the outbound check: %s", type(exc).__name__)
        return None


def _walk(node: Any) -> Iterator[Target]:
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef, Variable

    stack, seen = [node], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, CompValue):
            if item.name in ("ServiceGraphPattern", "Load"):
                term = dict(item).get("term" if item.name == "ServiceGraphPattern" else "iri")
                keyword = "SERVICE" if item.name == "ServiceGraphPattern" else "LOAD"
                if isinstance(term, URIRef):
                    yield Target(keyword, str(term), f"<{term}>")
                else:  # a variable, or anything the check does not recognise as an IRI
                    shown = term.n3() if isinstance(term, Variable) else str(term)
                    yield Target(keyword, str(term), shown, True)
            stack.extend(dict(item).values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "algebra") and hasattr(item, "prologue"):
            stack.append(item.algebra)  # a parsed subquery


# --------------------------------------------------------------------------------------
# 2. The lexer.

def lexer_targets(text: str) -> list[Target]:
    """SERVICE, LOAD and DEFINE keywords outside strings, IRIs and comments, with what follows."""
    tokens = sparql_tokens(text)
    out = []
    for i, tok in enumerate(tokens):
        word = tok.text.upper() if tok.kind == "word" else ""
        if word not in KEYWORDS:
            continue
        rest = [t for t in tokens[i + 1:i + 3] if t.text.upper() != "SILENT"]
        nxt = rest[0] if rest else None
        if nxt is not None and nxt.kind in ("iri", "var", "word"):
            target = nxt.text[1:-1] if nxt.kind == "iri" else nxt.text
            out.append(Target(word, target, nxt.text, nxt.kind == "var"))
        else:
            out.append(Target(word, "", ""))
    return out
