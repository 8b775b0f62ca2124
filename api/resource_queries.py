"""Read-side SPARQL for the entity, claim, article and linked-data routes.

Like ``api.graphdata`` (whose escaping and claim fields this reuses), every query is built
from IRIs checked by ``iri_term`` or literals escaped by ``literal_term``, never from raw text.
The pure helpers (predicate names, label matching) are tested by tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from api.graphdata import CLAIM_FIELDS, PREFIXES, claim_row, iri_term, literal_term, v, values
from kg.engine import QueryEngine
from kg.errors import BadRequest
from kg.namespaces import BIOLINK, HK, HKC
from kg.namespaces import PREFIXES as NAMESPACES

# Short names of the claim predicates the extractor writes (ontology/README.md).
PREDICATES: dict[str, str] = {
    "causes": str(BIOLINK.causes),
    "treats": str(BIOLINK.treats),
    "treats_or_applied_or_studied_to_treat": str(BIOLINK.treats_or_applied_or_studied_to_treat),
    "prevents": str(BIOLINK.prevents),
    "contains": str(HK.contains),
    "distinctFrom": str(HK.distinctFrom),
    "hasMechanism": str(HK.hasMechanism),
    "recommendsConsulting": str(HK.recommendsConsulting),
}
_PREDICATE_NAMES = {iri: name for name, iri in PREDICATES.items()}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def looks_like_iri(ref: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S", ref)) and ("://" in ref or ref.startswith("urn:"))


def predicate_iri(ref: str) -> str:
    """A claim predicate from a full IRI, a prefixed name (``biolink:causes``) or a short name."""
    ref = ref.strip()
    if looks_like_iri(ref):
        iri_term(ref)
        return ref
    prefix, _, local = ref.rpartition(":")
    if prefix in NAMESPACES and local:
        return f"{NAMESPACES[prefix]}{local}"
    by_name = {name.casefold(): iri for name, iri in PREDICATES.items()}
    if local.casefold() in by_name and not prefix:
        return by_name[local.casefold()]
    raise BadRequest(f"unknown predicate {ref!r}", {"field": "predicate", "known": sorted(PREDICATES)})


def predicate_name(iri: str | None) -> str | None:
    """The short name of a claim predicate IRI (the local name for predicates not listed)."""
    if iri is None:
        return None
    return _PREDICATE_NAMES.get(iri) or re.split(r"[#/]", iri)[-1]


def normalise_label(text: str) -> str:
    """Case-, hyphen- and space-insensitive form of a label, for lexical matching."""
    return re.sub(r"[\s\-_]+", " ", text.casefold()).strip()


def lexical_score(query: str, label: str) -> float:
    """1 for the exact label, 0.9 a prefix, 0.85 a word prefix, 0.8 a substring, else 0 (both normalised)."""
    if not query or not label:
        return 0.0
    if label == query:
        return 1.0
    if label.startswith(query):
        return 0.9
    if f" {query}" in f" {label}":
        return 0.85
    return 0.8 if query in label else 0.0


def _uniq(items: Iterable[Any]) -> list[Any]:
    return sorted({i for i in items if i is not None})


# --------------------------------------------------------------------------------------
# Concepts

_CONCEPT_FACTS = """
  {{ ?c skos:prefLabel ?value BIND("pref" AS ?key) }} UNION {{ ?c skos:altLabel ?value BIND("alt" AS ?key) }}
  UNION {{ ?c a ?value FILTER(?value != skos:Concept) BIND("type" AS ?key) }}
  UNION {{ ?c skos:exactMatch ?value BIND("exact" AS ?key) }}
  UNION {{ ?c skos:closeMatch ?value BIND("close" AS ?key) }}
  {extra}
"""
_DETAIL_FACTS = """
  UNION { ?c skos:definition ?value BIND("definition" AS ?key) }
  UNION { ?c skos:broader ?value BIND("broader" AS ?key) }
  UNION { { ?c skos:narrower ?value } UNION { ?value skos:broader ?c } BIND("narrower" AS ?key) }
  UNION { ?c skos:related ?value BIND("related" AS ?key) }
  UNION { ?c hk:minted ?value BIND("minted" AS ?key) }
"""


def concept_facts(engine: QueryEngine, iris: list[str] | None = None,
                  detail: bool = False) -> dict[str, dict[str, Any]]:
    """Labels, types and external ids of the given concepts (all ``skos:Concept``s when None)."""
    if iris == []:
        return {}
    scope = values("c", iris) if iris is not None else "?c a skos:Concept ."
    rows = engine.select(PREFIXES + "SELECT DISTINCT ?c ?key ?value WHERE { " + scope
                         + _CONCEPT_FACTS.format(extra=_DETAIL_FACTS if detail else "") + "}")
    facts: dict[str, dict[str, list[Any]]] = {}
    for r in rows:
        facts.setdefault(v(r, "c"), {}).setdefault(v(r, "key"), []).append(v(r, "value"))
    return {iri: concept_record(iri, f, detail) for iri, f in facts.items()}


def concept_record(iri: str, facts: dict[str, list[Any]], detail: bool = False) -> dict[str, Any]:
    """One concept as the API shows it, from its grouped facts."""
    pref = _uniq(facts.get("pref", []))
    record: dict[str, Any] = {
        "iri": iri, "label": pref[0] if pref else iri.rstrip("/").rsplit("/", 1)[-1].replace("-", " "),
        "alt_labels": _uniq(facts.get("alt", [])), "types": _uniq(facts.get("type", [])),
        "external_ids": _uniq(facts.get("exact", [])), "close_matches": _uniq(facts.get("close", []))}
    if detail:
        record.update(pref_labels=pref, definition=(_uniq(facts.get("definition", [])) or [None])[0],
                      broader=_uniq(facts.get("broader", [])), narrower=_uniq(facts.get("narrower", [])),
                      related=_uniq(facts.get("related", [])), minted=any(facts.get("minted", [])))
    return record


def existing_concepts(engine: QueryEngine, iris: list[str]) -> list[str]:
    """Those of ``iris`` that are concepts in the graph, in the given order."""
    rows = engine.select(PREFIXES + f"SELECT DISTINCT ?c WHERE {{ {values('c', iris)} ?c a skos:Concept }}")
    found = {v(r, "c") for r in rows}
    return [i for i in iris if i in found]


def concepts_labelled(engine: QueryEngine, label: str) -> list[str]:
    """Concepts whose pref or alt label is ``label``, ignoring case."""
    rows = engine.select(PREFIXES + f"""SELECT DISTINCT ?c WHERE {{
  ?c a skos:Concept ; skos:prefLabel|skos:altLabel ?label
  FILTER(LCASE(STR(?label)) = LCASE({literal_term(label.strip())})) }} ORDER BY ?c""")
    return [v(r, "c") for r in rows]


def resolve_concepts(engine: QueryEngine, ref: str, base_iri: str) -> list[str]:
    """The concepts a reference names: a full IRI, a slug (vocabulary, then minted) or a label."""
    ref = ref.strip()
    if looks_like_iri(ref):
        iri_term(ref)  # BadRequest for an IRI that would not fit in a query
        return existing_concepts(engine, [ref])
    if _SLUG.match(ref):
        found = existing_concepts(engine, [f"{HKC}{ref}", f"{base_iri}concept/{ref}"])
        if found:
            return found[:1]
    return concepts_labelled(engine, ref) if ref else []


def all_labels(engine: QueryEngine) -> list[tuple[str, str, str]]:
    """(concept, label, "pref" | "alt") for every label of every concept."""
    rows = engine.select(PREFIXES + """SELECT DISTINCT ?c ?label ?kind WHERE { ?c a skos:Concept .
  { ?c skos:prefLabel ?label BIND("pref" AS ?kind) } UNION { ?c skos:altLabel ?label BIND("alt" AS ?kind) } }""")
    return [(v(r, "c"), v(r, "label"), v(r, "kind")) for r in rows]


# --------------------------------------------------------------------------------------
# Claims


def _claim_filters(subjects: list[str] | None, predicate: str | None, objects: list[str] | None,
                   negated: bool | None, article: str | None) -> str:
    parts = []
    if subjects is not None:
        parts.append(values("subject", subjects))
    if objects is not None:
        parts.append(values("object", objects))
    if predicate:
        parts.append(f"FILTER(?predicate = {iri_term(predicate)})")
    if negated is not None:
        parts.append(f"FILTER(?negated = {'true' if negated else 'false'})")
    if article:
        parts.append(f"FILTER(?article = {iri_term(article)})")
    return "\n  ".join(parts)


def claims_page(engine: QueryEngine, *, subjects: list[str] | None = None, predicate: str | None = None,
                objects: list[str] | None = None, negated: bool | None = None, article: str | None = None,
                limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page of claims with provenance), in article and sentence order."""
    if subjects == [] or objects == []:
        return 0, []
    where = f"{_claim_filters(subjects, predicate, objects, negated, article)}\n{CLAIM_FIELDS}"
    count = engine.select(PREFIXES + f"SELECT (COUNT(DISTINCT ?claim) AS ?n) WHERE {{ {where} }}")
    rows = engine.select(PREFIXES + f"SELECT * WHERE {{ {where} }} ORDER BY ?article ?b ?claim "
                         f"LIMIT {int(limit)} OFFSET {int(offset)}")
    return int(v(count[0], "n") or 0) if count else 0, [claim_row(r) for r in rows]


def label_claims(engine: QueryEngine, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each claim with its subject's and object's labels and its predicate's short name."""
    labels = {i: c["label"] for i, c in concept_facts(
        engine, sorted({c[k] for c in claims for k in ("subject", "object")})).items()}
    for c in claims:
        c.update(subject_label=labels.get(c["subject"]), object_label=labels.get(c["object"]),
                 predicate_name=predicate_name(c["predicate"]))
    return claims


# --------------------------------------------------------------------------------------
# Articles and authors

_ARTICLE_FIELDS = """
  ?article a schema:Article ; schema:headline ?title .
  OPTIONAL { ?article schema:author ?author . OPTIONAL { ?author schema:name ?authorName } }
  OPTIONAL { ?article schema:datePublished ?date }
  OPTIONAL { ?article schema:url ?url }
  OPTIONAL { ?article hk:sourceFile ?file }
  OPTIONAL { ?article hk:contentHash ?hash }
"""


def _article_row(r: dict[str, Any]) -> dict[str, Any]:
    iri = v(r, "article")
    return {"iri": iri, "slug": iri.rsplit("/", 1)[-1], "title": v(r, "title"),
            "author": {"iri": v(r, "author"), "name": v(r, "authorName")} if v(r, "author") else None,
            "date": v(r, "date"), "url": v(r, "url"), "source_file": v(r, "file"), "content_hash": v(r, "hash")}


def articles_page(engine: QueryEngine, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page of articles in IRI order, each with its counts)."""
    count = engine.select(PREFIXES + "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a schema:Article }")
    rows = engine.select(PREFIXES + f"SELECT * WHERE {{ {{ SELECT DISTINCT ?article WHERE {{ "
                         f"?article a schema:Article }} ORDER BY ?article LIMIT {int(limit)} OFFSET {int(offset)} }}"
                         f"{_ARTICLE_FIELDS} }} ORDER BY ?article")
    found = _first_per_article(rows)
    counts = article_counts(engine, list(found))
    for iri, article in found.items():
        article["counts"] = counts.get(iri, {})
    return int(v(count[0], "n") or 0) if count else 0, list(found.values())


def _first_per_article(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(v(r, "article"), _article_row(r))
    return out


def article_counts(engine: QueryEngine, iris: list[str]) -> dict[str, dict[str, int]]:
    """Sentences, claims and negated claims of each article."""
    if not iris:
        return {}
    rows = engine.select(PREFIXES + f"""SELECT ?article ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  {values("article", iris)}
  {{ ?x a nif:Sentence ; dcterms:isPartOf ?article BIND("sentences" AS ?kind) }}
  UNION {{ ?x a biolink:Association ; dcterms:isPartOf ?article BIND("claims" AS ?kind) }}
  UNION {{ ?x a biolink:Association ; dcterms:isPartOf ?article ; biolink:negated true
           BIND("negated_claims" AS ?kind) }}
}} GROUP BY ?article ?kind""")
    out: dict[str, dict[str, int]] = {i: {"sentences": 0, "claims": 0, "negated_claims": 0} for i in iris}
    for r in rows:
        out[v(r, "article")][v(r, "kind")] = int(v(r, "n"))
    return out


def article(engine: QueryEngine, iri: str) -> dict[str, Any] | None:
    """An article's metadata, author, counts and sentences; None when there is no such article."""
    rows = engine.select(PREFIXES + f"SELECT * WHERE {{ {values('article', [iri])} {_ARTICLE_FIELDS} }}")
    if not rows:
        return None
    record = _article_row(rows[0])
    record["author"] = person(engine, record["author"]["iri"]) if record["author"] else None
    record["counts"] = article_counts(engine, [iri])[iri]
    record["sentences"] = article_sentences(engine, iri)
    return record


def person(engine: QueryEngine, iri: str) -> dict[str, Any]:
    """An author: name, title, specialties (schema:knowsAbout), bio and years of experience."""
    rows = engine.select(PREFIXES + f"""SELECT ?name ?prefix ?bio ?years ?knows WHERE {{
  {values("p", [iri])}
  OPTIONAL {{ ?p schema:name ?name }} OPTIONAL {{ ?p schema:honorificPrefix ?prefix }}
  OPTIONAL {{ ?p schema:description ?bio }} OPTIONAL {{ ?p hk:yearsOfExperience ?years }}
  OPTIONAL {{ ?p schema:knowsAbout ?knows }} }}""")
    first = rows[0] if rows else {}
    return {"iri": iri, "name": v(first, "name"), "honorific_prefix": v(first, "prefix"),
            "specialties": _uniq(v(r, "knows") for r in rows), "bio": v(first, "bio"),
            "years_of_experience": v(first, "years")}


def article_sentences(engine: QueryEngine, iri: str) -> list[dict[str, Any]]:
    """The article's sentences in order, with exact offsets into its text snapshot and section."""
    rows = engine.select(PREFIXES + f"""SELECT ?s ?n ?text ?b ?e ?section WHERE {{
  ?s dcterms:isPartOf {iri_term(iri)} ; a nif:Sentence ; nif:anchorOf ?text ;
     nif:beginIndex ?b ; nif:endIndex ?e .
  OPTIONAL {{ ?s hk:sentenceIndex ?n }} OPTIONAL {{ ?s hk:section ?section }}
}} ORDER BY ?n ?b""")
    return [{"iri": v(r, "s"), "index": v(r, "n"), "text": v(r, "text"), "offsets": [v(r, "b"), v(r, "e")],
             "section": v(r, "section")} for r in rows]


# --------------------------------------------------------------------------------------
# Linked data: a resource's description


def _own(var: str, iri: str) -> str:
    """A filter keeping blank nodes and the resource's own hash IRIs (``<iri#...>``)."""
    return f"FILTER(isBlank(?{var}) || STRSTARTS(STR(?{var}), {literal_term(iri + '#')}))"


def describe_pattern(iri: str) -> str:
    """?s ?p ?o over the resource's triples as subject, and those of the blank nodes and
    ``#`` IRIs it points to (two levels deep: a claim's target and its selectors)."""
    r = iri_term(iri)
    return f"""{{ VALUES ?s {{ {r} }} ?s ?p ?o }}
  UNION {{ {r} ?p1 ?s . {_own("s", iri)} ?s ?p ?o }}
  UNION {{ {r} ?p1 ?x . {_own("x", iri)} ?x ?p2 ?s . {_own("s", iri)} ?s ?p ?o }}"""


def describe_query(iri: str) -> str:
    """A CONSTRUCT giving the resource's description (see :func:`describe_pattern`)."""
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {describe_pattern(iri)} }} }}"


def describe_rows(engine: QueryEngine, iri: str) -> list[dict[str, Any]]:
    """The same description as SPARQL-JSON rows (for the HTML page)."""
    return engine.select(f"SELECT DISTINCT ?s ?p ?o WHERE {{ {describe_pattern(iri)} }} ORDER BY ?s ?p ?o")


def referrers(engine: QueryEngine, iri: str, limit: int = 200) -> list[dict[str, Any]]:
    """Triples pointing at the resource (subject, predicate), for the HTML page's backlinks."""
    return engine.select(f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {iri_term(iri)} }} ORDER BY ?p ?s LIMIT {int(limit)}")


def has_triples(engine: QueryEngine, iri: str) -> bool:
    return bool(engine.select(f"SELECT ?p WHERE {{ {iri_term(iri)} ?p ?o }} LIMIT 1"))
