"""The namespaces the graph uses, in one place.

Ontology and vocabulary terms live under fixed w3id IRIs (they are shipped data);
everything minted from articles lives under the *configured* base IRI (see
:class:`Minter`), never under the server's host.
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, XSD

HK = Namespace("https://w3id.org/healthkg/ontology#")
HKC = Namespace("https://w3id.org/healthkg/concept/")
SCHEMA = Namespace("http://schema.org/")
BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
OA = Namespace("http://www.w3.org/ns/oa#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
MESH = Namespace("http://id.nlm.nih.gov/mesh/")
UMLS = Namespace("https://uts.nlm.nih.gov/uts/umls/concept/")
DOID = Namespace("http://purl.obolibrary.org/obo/DOID_")

PREFIXES: dict[str, Namespace] = {
    "hk": HK,
    "hkc": HKC,
    "schema": SCHEMA,
    "biolink": BIOLINK,
    "prov": Namespace(str(PROV)),
    "oa": OA,
    "nif": NIF,
    "skos": Namespace(str(SKOS)),
    "dcterms": Namespace(str(DCTERMS)),
    "mesh": MESH,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)),
    "sh": Namespace(str(SH)),
}


def sparql_prologue() -> str:
    """PREFIX lines for every namespace above, for queries and examples."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def slugify(text: str, max_len: int = 80) -> str:
    """A lowercase ASCII slug: 'Botox injections' -> 'botox-injections'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "x"


class Minter:
    """Mints every data IRI from one configured base IRI."""

    def __init__(self, base_iri: str) -> None:
        if not re.match(r"^https?://[^\s<>\"{}|\\^`]+/$", base_iri):
            raise ValueError(f"base IRI must be an absolute http(s) IRI ending in '/': {base_iri!r}")
        self.base = base_iri

    def article(self, slug: str) -> str:
        return f"{self.base}article/{slug}"

    def text(self, slug: str) -> str:
        return f"{self.base}article/{slug}/text"

    def sentence(self, slug: str, n: int) -> str:
        return f"{self.base}article/{slug}/sentence/{n}"

    def claim(self, slug: str, n: int) -> str:
        return f"{self.base}article/{slug}/claim/{n}"

    def mention(self, slug: str, n: int) -> str:
        return f"{self.base}article/{slug}/mention/{n}"

    def person(self, name: str) -> str:
        return f"{self.base}person/{slugify(name)}"

    def concept(self, label: str) -> str:
        """A concept minted for a mention that no vocabulary entry matches."""
        return f"{self.base}concept/{slugify(label)}"
