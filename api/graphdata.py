"""Read-side SPARQL for the API: what the graph holds about sentences, concepts, claims.

Queries are built from IRIs that are checked and escaped here (never from raw user text),
and run by the query engine (Oxigraph's, in its worker processes, or the remote store).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kg.engine import QueryEngine
from kg.errors import BadRequest
from kg.namespaces import sparql_prologue

_IRI_OK = re.compile(r'^[^\s<>"{}|\\^`]+$')
PREFIXES = sparql_prologue() + "PREFIX itsrdf: <http://www.w3.org/2005/11/its/rdf#>\n"


def is_iri(iri: str) -> bool:
    """Whether ``iri`` is an absolute IRI by RFC 3987 (control characters, spaces and the like
    are not), safe to splice into a query between ``<`` and ``>``."""
    import pyoxigraph as ox

    if not _IRI_OK.match(iri) or ":" not in iri:
        return False
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def iri_term(iri: str) -> str:
    """``<iri>`` for a SPARQL query; BadRequest for anything that is not an IRI (never a query
    the engine then rejects as a syntax error of the client's)."""
    if not is_iri(iri):
        raise BadRequest(f"not a valid IRI: {iri!r}", {"iri": iri})
    return f"<{iri}>"


def literal_term(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def values(var: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{var} {{ {' '.join(iri_term(i) for i in iris)} }}"


def v(row: dict[str, Any], name: str) -> Any:
    """A binding's plain value (int for integers, bool for booleans), or None."""
    term = row.get(name)
    if term is None:
        return None
    dt = term.get("datatype", "")
    if dt.endswith(("#integer", "#nonNegativeInteger", "#int", "#long")):
        return int(term["value"])
    if dt.endswith("#boolean"):
        return term["value"] in ("true", "1")
    return term["value"]


def sentences(engine: QueryEngine, iris: list[str]) -> dict[str, dict[str, Any]]:
    """Text, offsets, article, title and author of each sentence IRI."""
    if not iris:
        return {}
    rows = engine.select(PREFIXES + f"""
SELECT ?s ?text ?b ?e ?section ?article ?title ?author ?authorName WHERE {{
  {values("s", iris)}
  ?s nif:anchorOf ?text ; nif:beginIndex ?b ; nif:endIndex ?e ; dcterms:isPartOf ?article .
  ?article schema:headline ?title .
  OPTIONAL {{ ?s hk:section ?section }}
  OPTIONAL {{ ?article schema:author ?author . ?author schema:name ?authorName }}
}}""")  # required patterns before the OPTIONALs: Oxigraph then joins them in order (60x faster)
    return {v(r, "s"): {"text": v(r, "text"), "offsets": [v(r, "b"), v(r, "e")], "section": v(r, "section"),
                        "article": {"iri": v(r, "article"), "title": v(r, "title"),
                                    "author": v(r, "authorName"), "author_iri": v(r, "author")}}
            for r in rows}


def concepts(engine: QueryEngine, iris: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Label, types and external ids of concepts (a record for every IRI asked, known or not)."""
    iris = sorted(set(iris))
    if not iris:
        return {}
    rows = engine.select(PREFIXES + f"""
SELECT ?c ?label ?type ?match ?minted WHERE {{
  {values("c", iris)}
  OPTIONAL {{ ?c skos:prefLabel ?label }}
  OPTIONAL {{ ?c a ?type FILTER(?type != skos:Concept) }}
  OPTIONAL {{ ?c skos:exactMatch ?match }}
  OPTIONAL {{ ?c hk:minted ?minted }}
}}""")
    by_iri: dict[str, list[dict[str, Any]]] = {i: [] for i in iris}
    for r in rows:
        by_iri[v(r, "c")].append(r)
    return {i: concept_record(i, rs) for i, rs in by_iri.items()}


def concept_record(iri: str, rows: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A concept's record from its rows of :func:`concepts` (none: the IRI is all we know)."""
    c: dict[str, Any] = {"iri": iri, "label": None, "types": [], "external_ids": [], "minted": False}
    for r in rows or []:
        c["label"] = c["label"] or v(r, "label")
        for key, name in (("types", "type"), ("external_ids", "match")):
            value = v(r, name)
            if value and value not in c[key]:
                c[key].append(value)
        c["minted"] = c["minted"] or bool(v(r, "minted"))
    c["label"] = c["label"] or iri.rsplit("/", 1)[-1].replace("-", " ")
    c["types"].sort()
    c["external_ids"].sort()
    return c


def mentions(engine: QueryEngine, sentence_iris: list[str]) -> dict[str, list[str]]:
    """Concepts mentioned in each sentence, sorted by IRI."""
    if not sentence_iris:
        return {}
    rows = engine.select(PREFIXES + f"""
SELECT DISTINCT ?s ?c WHERE {{ {values("s", sentence_iris)} ?s schema:mentions ?c }}""")
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(v(r, "s"), []).append(v(r, "c"))
    return {s: sorted(cs) for s, cs in out.items()}


CLAIM_FIELDS = """
  ?claim rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object ?object ;
         biolink:negated ?negated ; hk:certainty ?certainty ; hk:hedged ?hedged ;
         prov:wasDerivedFrom ?s ; dcterms:isPartOf ?article .
  ?s nif:anchorOf ?quote ; nif:beginIndex ?b ; nif:endIndex ?e .
  ?article schema:headline ?title .
  OPTIONAL { ?claim prov:wasAttributedTo ?author . ?author schema:name ?authorName }
"""


def claim_row(r: dict[str, Any]) -> dict[str, Any]:
    return {"iri": v(r, "claim"), "subject": v(r, "subject"), "predicate": v(r, "predicate"),
            "object": v(r, "object"), "negated": v(r, "negated"), "hedged": v(r, "hedged"),
            "certainty": (v(r, "certainty") or "").rsplit("#", 1)[-1],
            "provenance": {"article": v(r, "article"), "title": v(r, "title"), "author": v(r, "authorName"),
                           "author_iri": v(r, "author"), "sentence": v(r, "s"),
                           "offsets": [v(r, "b"), v(r, "e")], "quote": v(r, "quote")}}


def claims_from_sentences(engine: QueryEngine, sentence_iris: list[str]) -> list[dict[str, Any]]:
    if not sentence_iris:
        return []
    rows = engine.select(PREFIXES + f"SELECT * WHERE {{ {values('s', sentence_iris)} {CLAIM_FIELDS} }}")
    return [claim_row(r) for r in rows]


def find_claims(engine: QueryEngine, subject: str | None = None, predicate: str | None = None,
                obj: str | None = None, negated: bool | None = None, touching: list[str] | None = None,
                limit: int = 1000) -> list[dict[str, Any]]:
    """Claims matching a pattern; ``touching`` keeps those whose subject or object is listed."""
    filters = []
    if subject:
        filters.append(f"FILTER(?subject = {iri_term(subject)})")
    if predicate:
        filters.append(f"FILTER(?predicate = {iri_term(predicate)})")
    if obj:
        filters.append(f"FILTER(?object = {iri_term(obj)})")
    if negated is not None:
        filters.append(f"FILTER(?negated = {'true' if negated else 'false'})")
    if touching:  # the default configuration reads these from the generation's view (api/view.py)
        terms = ", ".join(iri_term(i) for i in touching)
        filters.append(f"FILTER(?subject IN ({terms}) || ?object IN ({terms}))")
    rows = engine.select(PREFIXES + f"SELECT * WHERE {{ {CLAIM_FIELDS} {' '.join(filters)} }} "
                         f"ORDER BY ?claim LIMIT {int(limit)}")
    return [claim_row(r) for r in rows]


EVIDENCE_CAP = 20  # sentences kept per side of a claim group (search answers; /claims pages them all)


def group_claims(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Claim rows (in claim IRI order) grouped by (subject, predicate, object), in the order of
    each group's first claim: who supports and who denies it, by (article, offset), at most
    :data:`EVIDENCE_CAP` sentences per side, with the full counts."""
    grouped: dict[tuple[str, str, str], dict[str, Any]] = {}
    for c in rows:
        key = (c["subject"], c["predicate"], c["object"])
        entry = grouped.setdefault(key, {"subject": key[0], "predicate": key[1], "object": key[2],
                                         "supported_by": [], "denied_by": [], "first_claim": c["iri"]})
        prov = {**c["provenance"], "claim": c["iri"], "hedged": c["hedged"], "certainty": c["certainty"]}
        entry["denied_by" if c["negated"] else "supported_by"].append(prov)
    for e in grouped.values():
        for side, count in (("supported_by", "supported_count"), ("denied_by", "denied_count")):
            e[side].sort(key=lambda p: (p["article"], p["offsets"][0], p["claim"]))
            e[count] = len(e[side])
            e[side] = e[side][:EVIDENCE_CAP]
    return list(grouped.values())
