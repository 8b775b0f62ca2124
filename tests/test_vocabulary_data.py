"""Data checks on ontology/vocabulary.ttl: it parses, is big enough, and every concept is well formed.

Needs only rdflib, so it also runs outside the full project environment
(``python -m pytest --noconftest tests/test_vocabulary_data.py``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

VOCABULARY = Path(__file__).resolve().parent.parent / "ontology" / "vocabulary.ttl"
SCHEMA = Namespace("http://schema.org/")
HK = Namespace("https://w3id.org/healthkg/ontology#")
HKC = Namespace("https://w3id.org/healthkg/concept/")
MESH = "http://id.nlm.nih.gov/mesh/"
SCHEME = HKC.scheme
MIN_CONCEPTS = 600

DOMAIN_TYPES = {
    SCHEMA.MedicalCondition, SCHEMA.MedicalCause, SCHEMA.MedicalTherapy, SCHEMA.MedicalProcedure,
    SCHEMA.Drug, SCHEMA.Substance, HK.HealthProfessional, HK.Mechanism, SCHEMA.MedicalSpecialty,
    SCHEMA.AnatomicalStructure,
}
# MeSH descriptors are D + 6 digits (newer ones D + 9); supplementary concept records C + 6 to 9 digits.
MESH_ID = re.compile(r"^(D\d{6}(\d{3})?|C\d{6,9})$")
# The extractor's tokenisation (kg.vocabulary.TOKEN): hyphens, spaces and punctuation all separate words.
TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")


@cache
def graph() -> Graph:
    g = Graph()
    g.parse(VOCABULARY, format="turtle")
    return g


def concepts() -> list[URIRef]:
    return sorted(c for c in graph().subjects(RDF.type, SKOS.Concept) if isinstance(c, URIRef))


def labels(c: URIRef) -> list[Literal]:
    g = graph()
    return [x for p in (SKOS.prefLabel, SKOS.altLabel) for x in g.objects(c, p) if isinstance(x, Literal)]


def fold(label: str) -> str:
    return " ".join(label.lower().split())


def token_fold(label: str) -> tuple[str, ...]:
    return tuple(m.group().lower().replace("’", "'") for m in TOKEN.finditer(label))


def test_parses() -> None:
    assert len(graph()) > 0


def test_enough_concepts() -> None:
    assert len(concepts()) >= MIN_CONCEPTS


def test_one_english_preflabel_each() -> None:
    g = graph()
    bad = {}
    for c in concepts():
        prefs = list(g.objects(c, SKOS.prefLabel))
        en = [p for p in prefs if isinstance(p, Literal) and p.language == "en"]
        if len(prefs) != 1 or len(en) != 1 or not str(en[0]).strip():
            bad[str(c)] = [str(p) for p in prefs]
    assert not bad, bad


def test_labels_are_english() -> None:
    bad = [(str(c), str(x)) for c in concepts() for x in labels(c) if x.language != "en"]
    assert not bad, bad


def test_every_concept_has_a_domain_type() -> None:
    g = graph()
    bad = [str(c) for c in concepts() if not DOMAIN_TYPES & set(g.objects(c, RDF.type))]
    assert not bad, bad


def test_every_concept_in_scheme() -> None:
    g = graph()
    bad = [str(c) for c in concepts() if (c, SKOS.inScheme, SCHEME) not in g]
    assert not bad, bad


@pytest.mark.parametrize("folding", [fold, token_fold], ids=["whitespace", "tokens"])
def test_no_label_shared_by_two_concepts(folding) -> None:
    owners: dict[object, set[str]] = defaultdict(set)
    for c in concepts():
        for x in labels(c):
            owners[folding(str(x))].add(str(c))
    shared = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert not shared, shared


def test_mesh_ids_well_formed() -> None:
    g = graph()
    bad = []
    for c in concepts():
        for p in (SKOS.exactMatch, SKOS.closeMatch):
            for o in g.objects(c, p):
                if str(o).startswith(MESH) and not MESH_ID.match(str(o)[len(MESH):]):
                    bad.append((str(c), str(o)))
    assert not bad, bad


def test_no_mesh_id_exactly_matched_by_two_concepts() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for c in concepts():
        for o in graph().objects(c, SKOS.exactMatch):
            if str(o).startswith(MESH):
                owners[str(o)].add(str(c))
    shared = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert not shared, shared


def test_links_point_at_concepts() -> None:
    g = graph()
    known = set(concepts())
    bad = []
    for p in (SKOS.broader, SKOS.narrower, SKOS.related, SKOS.hasTopConcept, HK.distinctFrom):
        for s, o in g.subject_objects(p):
            if str(o).startswith(str(HKC)) and o not in known and o != SCHEME:
                bad.append((str(s), str(p), str(o)))
    assert not bad, bad


def test_top_concepts_agree() -> None:
    g = graph()
    listed = set(g.objects(SCHEME, SKOS.hasTopConcept))
    declared = set(g.subjects(SKOS.topConceptOf, SCHEME))
    assert listed == declared, (sorted(map(str, listed - declared)), sorted(map(str, declared - listed)))
