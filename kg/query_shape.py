"""Bounds on a query's shape, checked before any engine sees it.

Oxigraph's parser and planner recurse over the query: 4,700 nested parentheses, 2,200
nested braces, about 700 nested function calls or EXISTS, 6,500 chained UNIONs, 6,900
chained ``+`` or 5,000 BINDs overflow the worker's stack and kill it (a 503 "the query
worker died", and a respawn). The lexer of :mod:`kg.engine` (strings, IRIs and comments
skipped) measures two things in one linear pass, and a request past either bound is a 400
naming the setting:

- the deepest nesting of ``(``, ``{`` and ``[``;
- the number of operators: the keywords UNION, OPTIONAL, MINUS, FILTER, BIND, EXISTS,
  GRAPH, SERVICE, VALUES, and the symbols ``&& || ! = != < <= > >= + - * / | ^``.

The defaults (64, 1000) leave a margin of about ten against the shallowest crash measured
and five against the shortest chain, and pass every example and test query of the project.
"""

from __future__ import annotations

from typing import NamedTuple

from kg.engine import Token, sparql_tokens
from kg.errors import BadRequest

DEPTH_SETTING = "HEALTHKG_SPARQL_MAX_DEPTH"
OPERATORS_SETTING = "HEALTHKG_SPARQL_MAX_OPERATORS"
OPEN, CLOSE = "({[", ")}]"
KEYWORD_OPERATORS = frozenset({"UNION", "OPTIONAL", "MINUS", "FILTER", "BIND", "EXISTS",
                               "GRAPH", "SERVICE", "VALUES"})
SYMBOL_OPERATORS = frozenset("&|!=<>+*/^")
TWO_CHARACTER = frozenset({"&&", "||", "!=", "<=", ">="})


class QueryTooComplex(BadRequest):
    """A query or update nested deeper, or with more operators, than the settings allow."""

    code = "query_too_complex"


class Shape(NamedTuple):
    depth: int
    operators: int


def query_shape(text: str) -> Shape:
    """The deepest bracket nesting and the operator count of a query or update."""
    depth = deepest = operators = 0
    previous: Token | None = None
    for tok in sparql_tokens(text):
        if tok.kind == "punct":
            if tok.text in OPEN:
                depth += 1
                deepest = max(deepest, depth)
            elif tok.text in CLOSE:
                depth -= 1
            elif tok.text in SYMBOL_OPERATORS and not _second_half(previous, tok):
                operators += 1
        elif tok.kind == "word":
            operators += _word_operators(tok.text)
        previous = tok
    return Shape(deepest, operators)


def _second_half(previous: Token | None, tok: Token) -> bool:
    """Whether ``tok`` ends a two-character operator (``&&``, ``!=``...) begun by ``previous``."""
    return (previous is not None and previous.kind == "punct" and previous.start + 1 == tok.start
            and previous.text + tok.text in TWO_CHARACTER)


def _word_operators(word: str) -> int:
    """UNION and its kin; a minus, which the lexer keeps inside words (``?o -1``, ``1-1``);
    never the hyphen of a prefixed name, a blank node label or a language tag."""
    if word.upper() in KEYWORD_OPERATORS:
        return 1
    if ":" in word or word.startswith("@"):
        return 0
    return word.count("-")


def check_shape(text: str, *, max_depth: int, max_operators: int) -> None:
    """Raise :class:`QueryTooComplex` when ``text`` is nested or chained past the bounds."""
    shape = query_shape(text)
    if shape.depth > max_depth:
        raise QueryTooComplex(
            f"the request nests brackets {shape.depth} deep; {DEPTH_SETTING} allows {max_depth}",
            {"limit": DEPTH_SETTING, "max": max_depth, "found": shape.depth})
    if shape.operators > max_operators:
        raise QueryTooComplex(
            f"the request has {shape.operators} operators (UNION, OPTIONAL, FILTER, &&, + ...); "
            f"{OPERATORS_SETTING} allows {max_operators}",
            {"limit": OPERATORS_SETTING, "max": max_operators, "found": shape.operators})
