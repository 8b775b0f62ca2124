"""Content negotiation for /sparql: pure functions over Accept headers and `format=`.

The served media types are the engine's (:data:`kg.engine.RESULT_MEDIA_TYPES`); common
aliases (``application/json``, ``application/xml``, ``text/plain``...) are accepted and
answered with the canonical type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from kg.engine import RESULT_MEDIA_TYPES, QueryKind
from kg.errors import NotAcceptable


class MediaRange(NamedTuple):
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float


# Aliases clients send, per result form, mapped to the canonical type we serve.
ALIASES: dict[QueryKind, dict[str, str]] = {
    "solutions": {"application/json": "application/sparql-results+json",
                  "application/xml": "application/sparql-results+xml",
                  "text/xml": "application/sparql-results+xml"},
    "boolean": {"application/json": "application/sparql-results+json",
                "application/xml": "application/sparql-results+xml",
                "text/xml": "application/sparql-results+xml"},
    "graph": {"application/x-turtle": "text/turtle", "application/turtle": "text/turtle",
              "text/plain": "application/n-triples", "application/xml": "application/rdf+xml",
              "text/xml": "application/rdf+xml", "application/json": "application/ld+json",
              "application/x-json+ld": "application/ld+json", "text/rdf+n3": "text/n3",
              "application/n3": "text/n3"},
}

# Short names for the `format=` parameter (browsers cannot set Accept).
FORMAT_NAMES: dict[QueryKind, dict[str, str]] = {
    "solutions": {"json": "application/sparql-results+json", "srj": "application/sparql-results+json",
                  "xml": "application/sparql-results+xml", "srx": "application/sparql-results+xml",
                  "csv": "text/csv", "tsv": "text/tab-separated-values"},
    "boolean": {"json": "application/sparql-results+json", "srj": "application/sparql-results+json",
                "xml": "application/sparql-results+xml", "srx": "application/sparql-results+xml"},
    "graph": {"turtle": "text/turtle", "ttl": "text/turtle", "nt": "application/n-triples",
              "ntriples": "application/n-triples", "n-triples": "application/n-triples",
              "rdfxml": "application/rdf+xml", "rdf": "application/rdf+xml",
              "xml": "application/rdf+xml", "jsonld": "application/ld+json",
              "json-ld": "application/ld+json", "json": "application/ld+json", "n3": "text/n3"},
}


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; an absent or empty header accepts anything."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        mime = fields[0].lower()
        if "/" not in mime:
            mime = "*/*" if mime == "*" else ""
            if not mime:
                continue
        main, sub = mime.split("/", 1)
        ranges.append(MediaRange(main, sub, _q(fields[1:])))
    return ranges


def _q(params: list[str]) -> float:
    """The q parameter of one media range (1 when absent, 0 when malformed)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def quality(ranges: Sequence[MediaRange], media_type: str) -> tuple[float, int]:
    """The q-value the most specific matching range gives ``media_type``, and that specificity."""
    main, _, sub = media_type.lower().partition("/")
    best: tuple[float, int] = (0.0, -1)
    for r in ranges:
        if r.type == main and r.subtype == sub:
            spec = 2
        elif r.type == main and r.subtype == "*":
            spec = 1
        elif r.type == "*" and r.subtype == "*":
            spec = 0
        else:
            continue
        if spec > best[1]:
            best = (r.q, spec)
    return best


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers (ties: the more specific match, then offer order)."""
    ranges = parse_accept(accept)
    best, best_key = None, (0.0, -1, 0)
    for index, offer in enumerate(offers):
        q, spec = quality(ranges, offer)
        key = (q, spec, -index)
        if q > 0 and (best is None or key > best_key):
            best, best_key = offer, key
    return best


def result_media_type(kind: QueryKind, accept: str | None,
                      fmt: str | Sequence[str] | None = None) -> str:
    """The canonical media type to serve results of ``kind`` in; NotAcceptable when none fits.

    ``fmt`` (the `format=` / `output=` / `results=` values: short names or media types,
    each possibly a comma list, as SPARQLWrapper sends them) overrides Accept: the first
    value that names a type for ``kind`` wins.
    """
    canonical = RESULT_MEDIA_TYPES[kind]
    candidates = format_candidates(fmt)
    if candidates:
        chosen = next((m for m in (_from_format(kind, c) for c in candidates) if m), None)
    else:
        offers = list(canonical) + list(ALIASES[kind])
        picked = negotiate(accept, offers)
        chosen = ALIASES[kind].get(picked, picked) if picked else None
    if chosen is None:
        raise NotAcceptable(f"no acceptable format for {kind} results",
                            {"available": list(canonical)})
    return chosen


def format_candidates(fmt: str | Sequence[str] | None) -> list[str]:
    """The `format=` values in order, comma lists split, blanks dropped."""
    values = [fmt] if isinstance(fmt, str) else list(fmt or [])
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _from_format(kind: QueryKind, fmt: str) -> str | None:
    """The canonical type for a `format=` value, or None."""
    value = fmt.lower().split(";")[0].strip()
    if value in FORMAT_NAMES[kind]:
        return FORMAT_NAMES[kind][value]
    value = ALIASES[kind].get(value, value)
    return value if value in RESULT_MEDIA_TYPES[kind] else None
