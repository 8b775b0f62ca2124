"""Example SPARQL queries about this graph, shown as tabs in YASGUI on /sparql.

They follow the model of ``ontology/README.md``: reified claims with ``biolink:negated``,
evidence sentences with NIF offsets, authors as ``schema:Person``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.namespaces import PREFIXES


@dataclass(frozen=True)
class Example:
    """One example query: a tab name, a one-line description, the query text."""

    name: str
    description: str
    query: str


def _prologue(*names: str) -> str:
    return "".join(f"PREFIX {n}: <{PREFIXES[n]}>\n" for n in names)


CLAIMS_DENIED_VS_AFFIRMED = """\
# Every claim, denied (negated) or affirmed, with its hedge level and the sentence.
SELECT ?negated ?subject ?predicate ?object ?certainty ?sentence
WHERE {
  ?claim a biolink:Association ;
         rdf:subject ?s ; rdf:predicate ?predicate ; rdf:object ?o ;
         biolink:negated ?negated .
  OPTIONAL { ?claim hk:certainty ?certainty }
  OPTIONAL { ?claim biolink:supporting_text ?sentence }
  OPTIONAL { ?s skos:prefLabel ?sLabel }
  OPTIONAL { ?o skos:prefLabel ?oLabel }
  BIND (COALESCE(STR(?sLabel), STR(?s)) AS ?subject)
  BIND (COALESCE(STR(?oLabel), STR(?o)) AS ?object)
}
ORDER BY DESC(?negated) ?subject
LIMIT 200
"""

CAUSES_OF_A_CONDITION = """\
# What causes hair loss, according to the articles? Affirmed claims only, each with the
# evidence sentence and its [begin, end) character offsets in the article's text.
SELECT ?cause ?evidence ?begin ?end ?article
WHERE {
  VALUES ?condition { hkc:hair-loss }
  ?claim rdf:predicate biolink:causes ; rdf:object ?condition ; rdf:subject ?c ;
         biolink:negated false ;
         prov:wasDerivedFrom ?sentence .
  ?sentence nif:anchorOf ?evidence ; nif:beginIndex ?begin ; nif:endIndex ?end ;
            dcterms:isPartOf ?article .
  OPTIONAL { ?c skos:prefLabel ?label }
  BIND (COALESCE(STR(?label), STR(?c)) AS ?cause)
}
ORDER BY ?article ?begin
"""

AUTHORS_AND_SPECIALTIES = """\
# Authors, their titles, experience and what they know about.
SELECT ?name ?title ?years (GROUP_CONCAT(DISTINCT STR(?topic); separator="; ") AS ?specialties)
       (COUNT(DISTINCT ?article) AS ?articles)
WHERE {
  ?article schema:author ?author .
  ?author a schema:Person ; schema:name ?name .
  OPTIONAL { ?author schema:honorificPrefix ?title }
  OPTIONAL { ?author hk:yearsOfExperience ?years }
  OPTIONAL { ?author schema:knowsAbout ?topic }
}
GROUP BY ?author ?name ?title ?years
ORDER BY ?name
"""

GRAPHS = """\
# The named graphs (one per article, plus the vocabulary) and their sizes.
# The default graph is the union of them all.
SELECT ?graph (COUNT(*) AS ?triples)
WHERE { GRAPH ?graph { ?s ?p ?o } }
GROUP BY ?graph
ORDER BY DESC(?triples)
"""


def examples() -> list[Example]:
    """The example queries, each with the PREFIX lines it needs."""
    return [
        Example("Claims: denied vs affirmed", "Negated and affirmed claims side by side.",
                _prologue("rdf", "skos", "biolink", "hk") + CLAIMS_DENIED_VS_AFFIRMED),
        Example("Causes of hair loss", "Affirmed causes with evidence sentences and offsets.",
                _prologue("rdf", "skos", "biolink", "hkc", "prov", "nif", "dcterms")
                + CAUSES_OF_A_CONDITION),
        Example("Authors and specialties", "Who wrote the articles and what they know about.",
                _prologue("schema", "hk") + AUTHORS_AND_SPECIALTIES),
        Example("Named graphs", "One graph per article; the default graph is their union.",
                GRAPHS),
    ]
