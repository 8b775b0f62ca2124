"""Article + extraction -> the article's named graph (see ontology/README.md)."""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

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
    return Literal(n, datatype=XSD.nonNegativeInteger)


def article_graph(article: Article, extraction: Extraction, minter: Minter) -> Graph:
    """The whole named graph of one article."""
    a = URIRef(minter.article(article.slug))
    g = new_graph(str(a))
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


def _add_author(g: Graph, article: Article, minter: Minter, a: URIRef) -> URIRef | None:
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


def _add_sentences(g: Graph, article: Article, extraction: Extraction, minter: Minter,
                   a: URIRef, text: URIRef) -> None:
    for s in article.sentences:
        node = URIRef(minter.sentence(article.slug, s.index))
        g.add((a, SCHEMA.hasPart, node))
        g.add((node, RDF.type, NIF.Sentence))
        g.add((node, RDF.type, NIF.OffsetBasedString))
        g.add((node, NIF.beginIndex, _nni(s.span.begin)))
        g.add((node, NIF.endIndex, _nni(s.span.end)))
        g.add((node, NIF.anchorOf, Literal(s.span.text)))
        g.add((node, NIF.referenceContext, text))
        g.add((node, HK.sentenceIndex, Literal(s.index, datatype=XSD.integer)))
        g.add((node, HK.section, Literal(s.section)))
        g.add((node, DCTERMS.isPartOf, a))
    for n, m in enumerate(extraction.mentions):
        node = URIRef(minter.mention(article.slug, n))
        sentence = URIRef(minter.sentence(article.slug, m.sentence))
        g.add((sentence, SCHEMA.mentions, URIRef(m.concept)))
        g.add((node, RDF.type, NIF.Phrase))
        g.add((node, RDF.type, NIF.OffsetBasedString))
        g.add((node, NIF.beginIndex, _nni(m.begin)))
        g.add((node, NIF.endIndex, _nni(m.end)))
        g.add((node, NIF.anchorOf, Literal(m.text)))
        g.add((node, NIF.referenceContext, text))
        g.add((node, NIF.sentence, sentence))
        g.add((node, ITSRDF.taIdentRef, URIRef(m.concept)))


def _add_claim(g: Graph, article: Article, claim: Claim, n: int, minter: Minter,
               a: URIRef, text: URIRef, author: URIRef | None,
               denied: set[tuple[str, str, str]]) -> None:
    """The reified claim; a direct triple only when affirmed, unhedged and denied nowhere in the article."""
    c = URIRef(minter.claim(article.slug, n))
    s, p, o = URIRef(claim.subject), URIRef(claim.predicate), URIRef(claim.object)
    sentence = article.sentences[claim.sentence]
    for t in (BIOLINK.Association, SCHEMA.Claim, RDF.Statement):
        g.add((c, RDF.type, t))
    g.add((c, RDF.subject, s))
    g.add((c, RDF.predicate, p))
    g.add((c, RDF.object, o))
    g.add((c, BIOLINK.negated, Literal(claim.negated)))
    g.add((c, HK.hedged, Literal(claim.hedged)))
    g.add((c, HK.certainty, HK[claim.certainty]))
    for cue in claim.cues:
        g.add((c, HK.cue, Literal(cue)))
    g.add((c, BIOLINK.supporting_text, Literal(sentence.span.text)))
    g.add((c, PROV.wasDerivedFrom, URIRef(minter.sentence(article.slug, sentence.index))))
    g.add((c, DCTERMS.isPartOf, a))
    if author is not None:
        g.add((c, PROV.wasAttributedTo, author))
    target, position, quote = (URIRef(f"{c}#{part}") for part in ("target", "position", "quote"))
    g.add((c, OA.hasTarget, target))
    g.add((target, RDF.type, OA.SpecificResource))
    g.add((target, OA.hasSource, text))
    g.add((target, OA.hasSelector, position))
    g.add((target, OA.hasSelector, quote))
    g.add((position, RDF.type, OA.TextPositionSelector))
    g.add((position, OA.start, _nni(sentence.span.begin)))
    g.add((position, OA.end, _nni(sentence.span.end)))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal(sentence.span.text)))
    if not claim.negated and not claim.hedged and (claim.subject, claim.predicate, claim.object) not in denied:
        g.add((s, p, o))
