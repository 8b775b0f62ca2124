"""Article + extraction -> the article's named graph (see ontology/README.md)."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD
from rdflib.term import Node

from kg.article import Article
from kg.model import Claim, Extraction
from kg.namespaces import BIOLINK, HK, NIF, OA, PREFIXES, SCHEMA, Minter

ITSRDF = Namespace("http://www.w3.org/2005/11/its/rdf#")


def new_graph(identifier: str | None = None) -> Graph:
    g = Graph(identifier=URIRef(identifier) if identifier else None)
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("itsrdf", ITSRDF)
    return g


def _nni(n: int) -> Literal:
    return Literal(n, datatype=_T_NNI)


Triple = tuple[Node, Node, Node]


class Triples:
    """The triples of one article graph, in the order written, each once: what an rdflib
    ``Graph`` would hold, without its per-triple indexing and events (three quarters of the
    time of building a large article's graph), for a store that loads them as N-Triples."""

    def __init__(self) -> None:
        self._seen: dict[Triple, None] = {}

    def add(self, triple: Triple) -> None:
        self._seen[triple] = None

    def __len__(self) -> int:
        return len(self._seen)

    def __iter__(self) -> Iterator[Triple]:
        return iter(self._seen)


def article_graph(article: Article, extraction: Extraction, minter: Minter) -> Graph:
    """The whole named graph of one article."""
    return as_graph(article_triples(article, extraction, minter), minter.article(article.slug))


def as_graph(triples: Triples, identifier: str) -> Graph:
    g = new_graph(identifier)
    for triple in triples:
        g.add(triple)
    return g


def article_triples(article: Article, extraction: Extraction, minter: Minter) -> Triples:
    """The triples of one article's named graph (:func:`article_graph` as a plain collection)."""
    a = URIRef(minter.article(article.slug))
    g = Triples()
    text = URIRef(minter.text(article.slug))
    g.add((a, RDF.type, SCHEMA.Article))
    g.add((a, RDF.type, SCHEMA.MedicalWebPage))
    g.add((a, SCHEMA.headline, Literal(article.title)))
    g.add((a, HK.contentHash, Literal(article.content_hash)))
    g.add((a, HK.sourceFile, Literal(article.source_file)))
    g.add((a, HK.hasText, text))
    if article.date:
        g.add((a, SCHEMA.datePublished, Literal(article.date, datatype=XSD.date)))
    if article.url:
        g.add((a, SCHEMA.url, URIRef(article.url)))
    g.add((text, RDF.type, NIF.Context))
    g.add((text, NIF.isString, Literal(article.text)))
    g.add((text, NIF.beginIndex, _nni(0)))
    g.add((text, NIF.endIndex, _nni(len(article.text))))
    author = _add_author(g, article, minter, a)
    _add_sentences(g, article, extraction, minter, a, text)
    for concept in extraction.minted.values():
        c = URIRef(concept.iri)
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.prefLabel, Literal(concept.label, lang="en")))
        g.add((c, HK.minted, Literal(True)))
        for t in concept.types:
            g.add((c, RDF.type, URIRef(t)))
        for alt in concept.alt_labels:
            g.add((c, SKOS.altLabel, Literal(alt, lang="en")))
    denied = {(c.subject, c.predicate, c.object) for c in extraction.claims if c.negated}
    for n, claim in enumerate(extraction.claims):
        _add_claim(g, article, claim, n, minter, a, text, author, denied)
    return g


def _add_author(g: Triples, article: Article, minter: Minter, a: URIRef) -> URIRef | None:
    person = article.author
    if person is None:
        return None
    p = URIRef(minter.person(person.name))
    g.add((a, SCHEMA.author, p))
    g.add((p, RDF.type, SCHEMA.Person))
    g.add((p, SCHEMA.name, Literal(person.name)))
    if person.prefix:
        g.add((p, SCHEMA.honorificPrefix, Literal(person.prefix)))
    if person.suffix:
        g.add((p, SCHEMA.honorificSuffix, Literal(person.suffix)))
    for topic in person.specialties:
        g.add((p, SCHEMA.knowsAbout, Literal(topic)))
    if person.bio:
        g.add((p, SCHEMA.description, Literal(person.bio)))
    if person.years_of_experience is not None:
        g.add((p, HK.yearsOfExperience, Literal(person.years_of_experience, datatype=XSD.integer)))
    return p


# The terms of the per-sentence, per-mention and per-claim triples, made once: a Namespace
# attribute makes a new URIRef at each use (a fifth of a large article's graph time).
_T_NNI = XSD.nonNegativeInteger
_T_TYPE, _T_SUBJECT, _T_PREDICATE, _T_OBJECT, _T_STATEMENT = RDF.type, RDF.subject, RDF.predicate, RDF.object, RDF.Statement
_T_HAS_PART, _T_MENTIONS, _T_CLAIM = SCHEMA.hasPart, SCHEMA.mentions, SCHEMA.Claim
_T_SENTENCE, _T_OFFSETS, _T_PHRASE = NIF.Sentence, NIF.OffsetBasedString, NIF.Phrase
_T_BEGIN, _T_END, _T_ANCHOR, _T_CONTEXT, _T_IN_SENTENCE = (
    NIF.beginIndex, NIF.endIndex, NIF.anchorOf, NIF.referenceContext, NIF.sentence)
_T_INDEX, _T_SECTION, _T_HEDGED, _T_CERTAINTY, _T_CUE = HK.sentenceIndex, HK.section, HK.hedged, HK.certainty, HK.cue
_T_PART_OF, _T_IDENT = DCTERMS.isPartOf, ITSRDF.taIdentRef
_T_ASSOCIATION, _T_NEGATED, _T_SUPPORTING = BIOLINK.Association, BIOLINK.negated, BIOLINK.supporting_text
_T_DERIVED, _T_ATTRIBUTED = PROV.wasDerivedFrom, PROV.wasAttributedTo
_T_TARGET, _T_SOURCE, _T_SELECTOR, _T_SPECIFIC = OA.hasTarget, OA.hasSource, OA.hasSelector, OA.SpecificResource
_T_POSITION, _T_START, _T_STOP, _T_QUOTE, _T_EXACT = (
    OA.TextPositionSelector, OA.start, OA.end, OA.TextQuoteSelector, OA.exact)
_T_INTEGER = XSD.integer


def _add_sentences(g: Triples, article: Article, extraction: Extraction, minter: Minter,
                   a: URIRef, text: URIRef) -> None:
    for s in article.sentences:
        node = URIRef(minter.sentence(article.slug, s.index))
        g.add((a, _T_HAS_PART, node))
        g.add((node, _T_TYPE, _T_SENTENCE))
        g.add((node, _T_TYPE, _T_OFFSETS))
        g.add((node, _T_BEGIN, _nni(s.span.begin)))
        g.add((node, _T_END, _nni(s.span.end)))
        g.add((node, _T_ANCHOR, Literal(s.span.text)))
        g.add((node, _T_CONTEXT, text))
        g.add((node, _T_INDEX, Literal(s.index, datatype=_T_INTEGER)))
        g.add((node, _T_SECTION, Literal(s.section)))
        g.add((node, _T_PART_OF, a))
    for n, m in enumerate(extraction.mentions):
        node = URIRef(minter.mention(article.slug, n))
        sentence = URIRef(minter.sentence(article.slug, m.sentence))
        concept = URIRef(m.concept)
        g.add((sentence, _T_MENTIONS, concept))
        g.add((node, _T_TYPE, _T_PHRASE))
        g.add((node, _T_TYPE, _T_OFFSETS))
        g.add((node, _T_BEGIN, _nni(m.begin)))
        g.add((node, _T_END, _nni(m.end)))
        g.add((node, _T_ANCHOR, Literal(m.text)))
        g.add((node, _T_CONTEXT, text))
        g.add((node, _T_IN_SENTENCE, sentence))
        g.add((node, _T_IDENT, concept))


def _add_claim(g: Triples, article: Article, claim: Claim, n: int, minter: Minter,
               a: URIRef, text: URIRef, author: URIRef | None,
               denied: set[tuple[str, str, str]]) -> None:
    """The reified claim; a direct triple only when affirmed, unhedged and denied nowhere in the article."""
    c = URIRef(minter.claim(article.slug, n))
    s, p, o = URIRef(claim.subject), URIRef(claim.predicate), URIRef(claim.object)
    sentence = article.sentences[claim.sentence]
    for t in (_T_ASSOCIATION, _T_CLAIM, _T_STATEMENT):
        g.add((c, _T_TYPE, t))
    g.add((c, _T_SUBJECT, s))
    g.add((c, _T_PREDICATE, p))
    g.add((c, _T_OBJECT, o))
    g.add((c, _T_NEGATED, Literal(claim.negated)))
    g.add((c, _T_HEDGED, Literal(claim.hedged)))
    g.add((c, _T_CERTAINTY, HK[claim.certainty]))
    for cue in claim.cues:
        g.add((c, _T_CUE, Literal(cue)))
    g.add((c, _T_SUPPORTING, Literal(sentence.span.text)))
    g.add((c, _T_DERIVED, URIRef(minter.sentence(article.slug, sentence.index))))
    g.add((c, _T_PART_OF, a))
    if author is not None:
        g.add((c, _T_ATTRIBUTED, author))
    target, position, quote = (URIRef(f"{c}#{part}") for part in ("target", "position", "quote"))
    g.add((c, _T_TARGET, target))
    g.add((target, _T_TYPE, _T_SPECIFIC))
    g.add((target, _T_SOURCE, text))
    g.add((target, _T_SELECTOR, position))
    g.add((target, _T_SELECTOR, quote))
    g.add((position, _T_TYPE, _T_POSITION))
    g.add((position, _T_START, _nni(sentence.span.begin)))
    g.add((position, _T_STOP, _nni(sentence.span.end)))
    g.add((quote, _T_TYPE, _T_QUOTE))
    g.add((quote, _T_EXACT, Literal(sentence.span.text)))
    if not claim.negated and not claim.hedged and (claim.subject, claim.predicate, claim.object) not in denied:
        g.add((s, p, o))
