"""The SKOS vocabulary: concepts, their labels, and the label index used for linking.

Labels are matched as whole token sequences after folding case, apostrophes and
hyphens; plural and singular variants of every label are added unless another
concept owns that string already.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from kg.model import Concept
from kg.namespaces import HK, SCHEMA
from kg.store import ONTOLOGY_GRAPH, VOCABULARY_GRAPH, GraphStore

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"
TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")

CATEGORY_OF_TYPE = {
    str(SCHEMA.MedicalTherapy): "treatment", str(SCHEMA.MedicalProcedure): "treatment",
    str(SCHEMA.Drug): "treatment", str(SCHEMA.MedicalCondition): "condition",
    str(SCHEMA.MedicalCause): "cause", str(SCHEMA.Substance): "ingredient",
    str(HK.HealthProfessional): "professional", str(HK.Mechanism): "mechanism",
    str(SCHEMA.MedicalSpecialty): "specialty", str(SCHEMA.AnatomicalStructure): "anatomy",
}


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Folded word tokens with their offsets: ``("crow's", 10, 16)``."""
    return [(m.group().lower().replace("’", "'"), m.start(), m.end()) for m in TOKEN.finditer(text)]


def fold(label: str) -> tuple[str, ...]:
    return tuple(t for t, _, _ in tokens(label))


def number_variants(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Plural and singular variants of the last word of a folded label."""
    if not key:
        return []
    head, last = key[:-1], key[-1]
    out = []
    if last.endswith("ies") and len(last) > 4:
        out.append(last[:-3] + "y")
    elif last.endswith(("ses", "xes", "ches", "shes")):
        out.append(last[:-2])
    elif last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        out.append(last[:-1])
    if last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        out.append(last[:-1] + "ies")
    elif last.endswith(("s", "x", "ch", "sh")):
        out.append(last + "es")
    elif last[-1].isalpha() and len(last) > 2:
        out.append(last + "s")
    return [head + (v,) for v in out]


def categories(types: tuple[str, ...]) -> frozenset[str]:
    return frozenset(CATEGORY_OF_TYPE[t] for t in types if t in CATEGORY_OF_TYPE)


@dataclass
class Vocabulary:
    concepts: dict[str, Concept]
    graph: Graph
    fingerprint: str

    @classmethod
    def load(cls, path: Path | None = None) -> Vocabulary:
        path = path or ONTOLOGY_DIR / "vocabulary.ttl"
        data = path.read_bytes()
        g = Graph()
        g.parse(data=data, format="turtle")
        concepts: dict[str, Concept] = {}
        for c in g.subjects(RDF.type, SKOS.Concept):
            if not isinstance(c, URIRef):
                continue
            pref = g.value(c, SKOS.prefLabel)
            alts = tuple(sorted(str(a) for a in g.objects(c, SKOS.altLabel)))
            types = tuple(sorted(str(t) for t in g.objects(c, RDF.type) if t != SKOS.Concept))
            concepts[str(c)] = Concept(str(c), str(pref) if pref else str(c).rsplit("/", 1)[-1], types, alts)
        return cls(concepts, g, hashlib.sha256(data).hexdigest()[:16])

    @cached_property
    def index(self) -> dict[tuple[str, ...], str]:
        """Folded label -> concept IRI; explicit labels win over generated variants."""
        explicit: dict[tuple[str, ...], str] = {}
        for c in sorted(self.concepts.values(), key=lambda c: c.iri):
            for label in (c.label, *c.alt_labels):
                key = fold(label)
                if key:
                    explicit.setdefault(key, c.iri)
        out = dict(explicit)
        for key, iri in explicit.items():
            for variant in number_variants(key):
                out.setdefault(variant, iri)
        return out

    @cached_property
    def max_label_tokens(self) -> int:
        return max((len(k) for k in self.index), default=1)

    def categories(self, iri: str) -> frozenset[str]:
        concept = self.concepts.get(iri)
        return categories(concept.types) if concept else frozenset()


def load_ontology_graphs(store: GraphStore, directory: Path = ONTOLOGY_DIR) -> None:
    """Put the vocabulary and the ontology into their own named graphs."""
    for name, graph_iri in (("vocabulary.ttl", VOCABULARY_GRAPH), ("healthkg.ttl", ONTOLOGY_GRAPH)):
        path = directory / name
        if path.exists():
            g = Graph()
            g.parse(path, format="turtle")
            store.replace_graph(graph_iri, g)
