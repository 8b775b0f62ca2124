"""Entities, claims, articles, and linked data: the resource routes, as a mountable router.

``build_resource_router(state)`` gives ``/entities``, ``/claims``, ``/articles`` (JSON) and the
dereferenceable resource IRIs: a GET on the path of any IRI minted under the configured base
IRI (``/article/...``, ``/person/...``, ``/concept/...``; vocabulary concepts too) answers
HTML, Turtle, JSON-LD, N-Triples or RDF/XML by Accept. Queries live in ``api.resource_queries``;
handlers are plain ``def`` so that SPARQL calls and the encoder run on the thread pool.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from api import resource_queries as rq
from api.errors import error_body
from api.graphdata import is_iri
from api.hygiene import OPENAPI_431, openapi_400
from api.negotiation import ALIASES, FORMAT_NAMES, negotiate
from api.state import ServingState
from kg.errors import BadRequest, NotAcceptable, NotFound
from kg.namespaces import HKC, PREFIXES, Minter

VARY = {"Vary": "Accept"}
RDF_TYPES = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
PAGE_TYPES = ("text/turtle", "text/html", *RDF_TYPES[1:])  # the first is the answer to */*
PAGE_ALIASES = {**ALIASES["graph"], "application/xhtml+xml": "text/html"}
FORMATS = {**FORMAT_NAMES["graph"], "html": "text/html"}
FormatParam = Annotated[str | None, Query(description="ttl, jsonld, nt, rdfxml or html; overrides Accept.")]
MIN_SIMILARITY = 0.45  # below this, a label that does not match q lexically is not a hit


class ErrorBody(BaseModel):
    """The one error shape of every endpoint."""

    code: str
    message: str
    detail: Any = None


def _error(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    """An OpenAPI response entry: the error shape, with an example."""
    return {"model": ErrorBody, "description": message,
            "content": {"application/json": {"example": error_body(code, message, detail)}}}


def _ok(example: Any, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


E400_Q = openapi_400(("empty_q", "bad_request", "q must not be empty", {"field": "q"}))
E400 = openapi_400()  # what every route refuses in a query string (a repeated parameter, non-UTF-8)
MAX_OFFSET = 1_000_000  # list routes: an offset past this is refused before any store sees it
E400_IRI = openapi_400(("bad_iri", "bad_request", "not a valid IRI: 'http://x/<bad>'", {"iri": "http://x/<bad>"}))
E404 = _error("not_found", "no concept 'no-such-thing'", {"id": "no-such-thing"})
E413 = _error("too_large", "request body larger than 1048576 bytes", {"max_bytes": 1048576, "content_length": 2000000})
E406 = _error("not_acceptable", "no acceptable representation", {"available": list(PAGE_TYPES)})
E422 = _error("validation_error", "k: Input should be less than or equal to 100",
              [{"loc": ["query", "k"], "msg": "Input should be less than or equal to 100", "type": "less_than_equal"}])

E422_OFFSET = _error("validation_error", f"offset: Input should be less than or equal to {MAX_OFFSET}",
                     [{"loc": ["query", "offset"], "msg": f"Input should be less than or equal to {MAX_OFFSET}",
                       "type": "less_than_equal"}])


def check_text(name: str, value: str, max_length: int) -> str:
    """A required free-text parameter, stripped; BadRequest when empty or too long."""
    text = value.strip()
    if not text:
        raise BadRequest(f"{name} must not be empty", {"field": name})
    if len(text) > max_length:
        raise BadRequest(f"{name} is longer than {max_length} characters", {"field": name, "length": len(text)})
    return text


# --------------------------------------------------------------------------------------
# Entity search: labels (lexical) and label vectors (paraphrases), cached per generation.


@dataclass
class LabelIndex:
    """Every concept label of one generation; the vectors are computed on first use."""

    generation: str
    labels: list[tuple[str, str, str]]  # (concept, label, "pref" | "alt")
    concepts: dict[str, dict[str, Any]]
    normalised: list[str] = field(init=False)
    vectors: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.normalised = [rq.normalise_label(label) for _, label, _ in self.labels]


class EntitySearch:
    """Ranks concepts for a query: exact label, prefix, substring, then embedding similarity."""

    def __init__(self, state: ServingState) -> None:
        self.state = state
        self._index: LabelIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> LabelIndex:
        """The label index of the serving generation, built on first use and per generation."""
        generation = self.state.current().name
        with self._lock:
            if self._index is None or self._index.generation != generation:
                engine = self.state.query_engine()
                self._index = LabelIndex(generation, rq.all_labels(engine), rq.concept_facts(engine))
            if self._index.vectors is None:
                texts = sorted(set(self._index.normalised))
                encoded = self.state.encoder.encode(texts)
                rows = {t: i for i, t in enumerate(texts)}
                self._index.vectors = encoded[[rows[t] for t in self._index.normalised]]
            return self._index

    def search(self, q: str, k: int) -> list[dict[str, Any]]:
        index = self.index()
        assert index.vectors is not None
        similarity = index.vectors @ self.state.encoder.encode([q])[0]
        query = rq.normalise_label(q)
        best: dict[str, tuple[float, float, bool, str]] = {}
        for i, (iri, label, kind) in enumerate(index.labels):
            lexical = rq.lexical_score(query, index.normalised[i])
            sim = float(similarity[i])
            if lexical == 0 and sim < MIN_SIMILARITY:
                continue
            key = (min(max(lexical, sim), 1.0), lexical, kind == "pref", label)
            if iri not in best or key[:3] > best[iri][:3]:
                best[iri] = key
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][1], not item[1][2], item[0]))
        return [self._hit(index.concepts.get(iri, {"iri": iri}), key) for iri, key in ranked[:k]]

    @staticmethod
    def _hit(concept: dict[str, Any], key: tuple[float, float, bool, str]) -> dict[str, Any]:
        score, lexical, _, label = key
        how = {1.0: "exact", 0.9: "prefix", 0.85: "word prefix", 0.8: "substring"}.get(lexical, "embedding")
        if lexical < score:
            how = "embedding"
        return {**{k: concept.get(k) for k in ("iri", "label", "types", "external_ids", "close_matches")},
                "score": round(score, 4), "matched": {"label": label, "by": how}}


# --------------------------------------------------------------------------------------
# Examples for the OpenAPI document (abridged from the seed article's graph).

HAIR_LOSS = "https://w3id.org/healthkg/concept/hair-loss"
BOTOX = "https://w3id.org/healthkg/concept/botox-injection"
ARTICLE = "https://healthkg.example.org/article/botox-hair-loss"
PROVENANCE = {"article": ARTICLE, "title": "Hair Loss: The Botox Connection", "author": "Olivia Thompson",
              "author_iri": "https://healthkg.example.org/person/olivia-thompson",
              "sentence": f"{ARTICLE}/sentence/2", "offsets": [174, 253],
              "quote": "However, it is important to note that Botox injections do not cause hair loss."}
CLAIM = {"iri": f"{ARTICLE}/claim/0", "subject": BOTOX, "predicate": "https://w3id.org/biolink/vocab/causes",
         "object": HAIR_LOSS, "negated": True, "hedged": False, "certainty": "Asserted",
         "provenance": PROVENANCE, "subject_label": "Botox injection", "object_label": "hair loss",
         "predicate_name": "causes"}
ENTITY_HIT = {"iri": HAIR_LOSS, "label": "hair loss", "types": ["http://schema.org/MedicalCondition"],
              "external_ids": ["http://id.nlm.nih.gov/mesh/D000505"], "close_matches": [], "score": 0.71,
              "matched": {"label": "hair falling out", "by": "embedding"}}
ENTITY = {"iri": HAIR_LOSS, "label": "hair loss", "alt_labels": ["alopecia", "baldness"],
          "types": ["http://schema.org/MedicalCondition"],
          "external_ids": ["http://id.nlm.nih.gov/mesh/D000505", "http://purl.obolibrary.org/obo/DOID_987"],
          "close_matches": [], "pref_labels": ["hair loss"], "definition": "Loss or thinning of hair.",
          "broader": [], "narrower": [{"iri": "https://w3id.org/healthkg/concept/telogen-effluvium",
                                       "label": "telogen effluvium"}], "related": [], "minted": False,
          "claims": {"as_subject": [], "as_object": [CLAIM]}, "page": "/concept/hair-loss"}
AUTHOR = {"iri": PROVENANCE["author_iri"], "name": "Olivia Thompson", "honorific_prefix": "Dr.",
          "specialties": ["Botox treatments", "medical dermatology"], "bio": "Dr. Olivia Thompson is ...",
          "years_of_experience": 12}
ARTICLE_ROW = {"iri": ARTICLE, "slug": "botox-hair-loss", "title": PROVENANCE["title"],
               "author": {"iri": AUTHOR["iri"], "name": "Olivia Thompson"}, "date": None, "url": None,
               "source_file": "botox-hair-loss.txt", "content_hash": "sha256:b081...",
               "counts": {"sentences": 21, "claims": 20, "negated_claims": 2}}
TURTLE = (f"<{ARTICLE}/claim/0> <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> <{BOTOX}> .\n"
          f"<{ARTICLE}/claim/0> <https://w3id.org/biolink/vocab/negated> true .\n")


# --------------------------------------------------------------------------------------
# Linked data pages


def page_media_type(accept: str | None, fmt: str | None) -> str:
    """The representation to serve: ``format=`` wins over Accept; NotAcceptable when none fits."""
    if fmt:
        named = FORMATS.get(fmt.strip().lower(), fmt.strip().lower())
        media = PAGE_ALIASES.get(named, named)
        chosen = media if media in PAGE_TYPES else None
    else:
        picked = negotiate(accept, [*PAGE_TYPES, *PAGE_ALIASES])
        chosen = PAGE_ALIASES.get(picked, picked) if picked else None
    if chosen is None:
        raise NotAcceptable("no acceptable representation of this resource", {"available": list(PAGE_TYPES)})
    return chosen


class Linker:
    """Maps IRIs to links on this server (minted IRIs and vocabulary concepts) or leaves them out."""

    def __init__(self, base_iri: str, root: str) -> None:
        self.base, self.root = base_iri, root.rstrip("/")

    def local(self, iri: str) -> str | None:
        if iri.startswith(self.base) and iri[len(self.base):].startswith(("article/", "person/", "concept/")):
            return f"{self.root}/{iri[len(self.base):]}"
        if iri.startswith(str(HKC)) and "/" not in iri[len(str(HKC)):]:
            return f"{self.root}/concept/{iri[len(str(HKC)):]}"
        return None

    def href(self, iri: str) -> str:
        return self.local(iri) or iri


def compact(iri: str) -> str:
    """``prefix:local`` for an IRI in a known namespace, else the IRI."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(str(ns)) and iri != str(ns):
            return f"{prefix}:{iri[len(str(ns)):]}"
    return iri


def term_html(term: dict[str, Any] | None, linker: Linker) -> str:
    """One SPARQL-JSON term as escaped HTML: IRIs as links, literals with their datatype or language."""
    if term is None:
        return ""
    value = term["value"]
    if term["type"] == "uri":
        return f'<a href="{html.escape(linker.href(value))}">{html.escape(compact(value))}</a>'
    if term["type"] == "bnode":
        return f"<code>_:{html.escape(value)}</code>"
    note = f"@{term['xml:lang']}" if "xml:lang" in term else compact(term.get("datatype", ""))
    return f"{html.escape(value)}" + (f' <small>{html.escape(note)}</small>' if note else "")


TITLE_PREDICATES = ("http://schema.org/headline", "http://www.w3.org/2004/02/skos/core#prefLabel",
                    "http://schema.org/name", "http://www.w3.org/2000/01/rdf-schema#label",
                    "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#anchorOf",
                    "https://w3id.org/biolink/vocab/supporting_text")


def page_title(iri: str, rows: list[dict[str, Any]]) -> str:
    for predicate in TITLE_PREDICATES:
        for r in rows:
            if r["s"]["value"] == iri and r["p"]["value"] == predicate:
                text = str(r["o"]["value"])
                return text if len(text) <= 120 else text[:117] + "..."
    return iri


def _row_html(r: dict[str, Any], iri: str, linker: Linker) -> str:
    subject = r["s"]["value"]
    anchor = f' id="{html.escape(subject.split("#", 1)[1])}"' if subject.startswith(iri + "#") else ""
    who = "" if subject == iri else term_html(r["s"], linker)
    return (f"<tr{anchor}><td>{who}</td><td>{term_html(r['p'], linker)}</td>"
            f"<td>{term_html(r['o'], linker)}</td></tr>")


PAGE_STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
              "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;"
              "text-align:left;vertical-align:top}small{color:#666}code{color:#555}")


def render_page(iri: str, rows: list[dict[str, Any]], back: list[dict[str, Any]], linker: Linker) -> str:
    """A small HTML page: the resource's triples, and the triples pointing at it."""
    title = html.escape(page_title(iri, rows))
    own = "".join(_row_html(r, iri, linker) for r in rows)
    incoming = "".join(f"<tr><td>{term_html(r['s'], linker)}</td><td>{term_html(r['p'], linker)}</td></tr>"
                       for r in back)
    formats = " · ".join(f'<a href="?format={f}">{label}</a>' for f, label in
                         (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"), ("rdfxml", "RDF/XML")))
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{PAGE_STYLE}</style></head><body><h1>{title}</h1>"
            f"<p><code>{html.escape(iri)}</code></p><p>Also as {formats}.</p>"
            f"<table><tr><th></th><th>property</th><th>value</th></tr>{own}</table>"
            + (f"<h2>Referenced by</h2><table><tr><th>resource</th><th>property</th></tr>{incoming}</table>"
               if incoming else "") + "</body></html>")


# --------------------------------------------------------------------------------------
# The router


def build_resource_router(state: ServingState) -> APIRouter:
    """The /entities, /claims, /articles and linked-data routes over the serving state."""
    router = APIRouter()
    _entity_routes(router, state, EntitySearch(state))
    _claim_routes(router, state)
    _article_routes(router, state)
    _linked_data_routes(router, state)
    return router


def _one_concept(state: ServingState, ref: str, field_name: str) -> list[str]:
    """The concepts ``ref`` names; NotFound in the error shape when none."""
    found = rq.resolve_concepts(state.query_engine(), ref, state.settings.base_iri)
    if not found:
        raise NotFound(f"no concept {ref!r}", {field_name: ref})
    return found


def _entity_routes(router: APIRouter, state: ServingState, entities: EntitySearch) -> None:
    max_q = state.settings.max_query_length

    @router.get("/entities", tags=["entities"], summary="Find concepts by label, or by meaning",
                responses={200: _ok({"query": "make your hair fall out", "k": 10, "generation": "20240101T000000Z",
                                     "entities": [ENTITY_HIT]}), 400: E400_Q, 422: E422, 431: OPENAPI_431})
    def search_entities(
        q: Annotated[str, Query(description="A label or a paraphrase.", examples=["hair loss"])],
        k: Annotated[int, Query(ge=1, le=100, description="How many concepts to return.")] = 10,
    ) -> dict[str, Any]:
        """Concepts whose preferred or alternative label matches ``q`` (exact first, then prefix and
        substring), and those whose labels are close to ``q`` in embedding space (paraphrases)."""
        text = check_text("q", q, max_q)
        return {"query": text, "k": k, "generation": state.current().name, "entities": entities.search(text, k)}

    @router.get("/entities/{entity_id:path}", tags=["entities"], summary="One concept, with its claims",
                responses={200: _ok(ENTITY), 400: E400_IRI, 404: E404, 422: E422, 431: OPENAPI_431})
    def get_entity(
        entity_id: Annotated[str, Path(description="A concept slug (`hair-loss`), its full IRI (URL-encoded) "
                                                   "or an exact label.", examples=["hair-botox"])],
    ) -> dict[str, Any]:
        """Labels, types, external ids, broader/narrower concepts, and the claims that have this
        concept as subject or object, each with its provenance."""
        iri = _one_concept(state, entity_id, "id")[0]
        return entity_detail(state, iri)


def entity_detail(state: ServingState, iri: str) -> dict[str, Any]:
    engine = state.query_engine()
    record = rq.concept_facts(engine, [iri], detail=True).get(iri) or rq.concept_record(iri, {}, True)
    linked = [i for key in ("broader", "narrower", "related") for i in record[key]]
    labels = {i: c["label"] for i, c in rq.concept_facts(engine, linked).items()}
    for key in ("broader", "narrower", "related"):
        record[key] = [{"iri": i, "label": labels.get(i)} for i in record[key]]
    _, as_subject = rq.claims_page(engine, subjects=[iri], limit=1000)
    _, as_object = rq.claims_page(engine, objects=[iri], limit=1000)
    record["claims"] = {"as_subject": rq.label_claims(engine, as_subject),
                        "as_object": rq.label_claims(engine, as_object)}
    record["page"] = Linker(state.settings.base_iri, "").local(iri)
    return record


def _claim_routes(router: APIRouter, state: ServingState) -> None:
    bad_predicate = openapi_400(("unknown_predicate", "bad_request", "unknown predicate 'cures'",
                                 {"field": "predicate", "known": sorted(rq.PREDICATES)}))

    @router.get("/claims", tags=["claims"], summary="Claims by subject, predicate, object, polarity",
                responses={200: _ok({"total": 2, "limit": 100, "offset": 0, "claims": [CLAIM],
                                     "filters": {"subject": [BOTOX], "predicate": CLAIM["predicate"],
                                                 "object": [HAIR_LOSS], "negated": True, "article": None}}),
                           400: bad_predicate, 404: E404, 422: E422, 431: OPENAPI_431})
    def list_claims(
        subject: Annotated[str | None, Query(description="Concept IRI, slug or label.", examples=["Botox"])] = None,
        predicate: Annotated[str | None, Query(description="Full IRI, prefixed name or one of "
                                               + ", ".join(rq.PREDICATES) + ".", examples=["causes"])] = None,
        object: Annotated[str | None, Query(description="Concept IRI, slug or label.",
                                            examples=["hair-loss"])] = None,
        negated: Annotated[bool | None, Query(description="Only denied (true) or affirmed (false) claims.")] = None,
        article: Annotated[str | None, Query(description="Only claims of this article (IRI or slug).")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> dict[str, Any]:
        """Reified claims, each with provenance (article, author, sentence, offsets, quote), in
        article and sentence order; ``negated=true`` lists what authors deny."""
        pred = rq.predicate_iri(predicate) if predicate else None
        subjects = _one_concept(state, subject, "subject") if subject else None
        objects = _one_concept(state, object, "object") if object else None
        article_iri = _article_iri(state, article) if article else None
        engine = state.query_engine()
        total, claims = rq.claims_page(engine, subjects=subjects, predicate=pred, objects=objects,
                                       negated=negated, article=article_iri, limit=limit, offset=offset)
        return {"total": total, "limit": limit, "offset": offset,
                "filters": {"subject": subjects, "predicate": pred, "object": objects, "negated": negated,
                            "article": article_iri},
                "claims": rq.label_claims(engine, claims)}


def _article_iri(state: ServingState, ref: str) -> str:
    ref = ref.strip()
    return ref if rq.looks_like_iri(ref) else Minter(state.settings.base_iri).article(ref)


def _article_routes(router: APIRouter, state: ServingState) -> None:
    no_article = _error("not_found", "no article 'no-such-article'", {"slug": "no-such-article"})

    @router.get("/articles", tags=["articles"], summary="The articles of the corpus",
                responses={200: _ok({"total": 1, "limit": 100, "offset": 0, "articles": [ARTICLE_ROW]}),
                           400: E400, 422: E422_OFFSET, 431: OPENAPI_431})
    def list_articles(limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                      offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> dict[str, Any]:
        """IRI, title, author, date and counts (sentences, claims, negated claims) of each article."""
        total, articles = rq.articles_page(state.query_engine(), limit, offset)
        return {"total": total, "limit": limit, "offset": offset, "articles": articles}

    @router.get("/articles/{slug}", tags=["articles"], summary="One article: metadata, author, sentences",
                responses={200: _ok({**ARTICLE_ROW, "author": AUTHOR, "sentences": [
                    {"iri": PROVENANCE["sentence"], "index": 2, "text": PROVENANCE["quote"],
                     "offsets": PROVENANCE["offsets"], "section": "body"}]}), 400: E400, 404: no_article, 422: E422,
                           431: OPENAPI_431})
    def get_article(slug: Annotated[str, Path(examples=["botox-hair-loss"])]) -> dict[str, Any]:
        """The article's metadata, its author (specialties, bio, years of experience), and its
        sentences in order with exact ``[begin, end)`` offsets into the stored text and section."""
        iri = Minter(state.settings.base_iri).article(slug)
        found = rq.article(state.query_engine(), iri) if is_iri(iri) else None
        if found is None:
            raise NotFound(f"no article {slug!r}", {"slug": slug})
        return found


def _page_responses() -> dict[int | str, dict[str, Any]]:
    return {200: {"description": "The resource's description, in the negotiated representation.",
                  "content": {"text/turtle": {"example": TURTLE}, "text/html": {"example": "<!doctype html>..."},
                              "application/ld+json": {"example": [{"@id": f"{ARTICLE}/claim/0"}]},
                              "application/n-triples": {"example": TURTLE}}},
            404: _error("not_found", "nothing is known about <https://healthkg.example.org/person/nobody>",
                        {"iri": "https://healthkg.example.org/person/nobody"}), 400: E400, 406: E406, 422: E422,
            431: OPENAPI_431}


def _linked_data_routes(parent: APIRouter, state: ServingState) -> None:
    base = state.settings.base_iri
    router = APIRouter(tags=["linked data"], default_response_class=Response, responses=_page_responses())

    @router.get("/article/{rest:path}", summary="An article, sentence, claim or mention IRI")
    def article_resource(request: Request, rest: Annotated[str, Path(examples=["botox-hair-loss/claim/0"])],
                         format: FormatParam = None) -> Response:
        """The description of ``{base}article/...``: HTML, Turtle, JSON-LD, N-Triples or RDF/XML by Accept."""
        return serve_resource(state, request, [f"{base}article/{rest}"], format)

    @router.get("/person/{slug}", summary="An author IRI")
    def person_resource(request: Request, slug: Annotated[str, Path(examples=["olivia-thompson"])],
                        format: FormatParam = None) -> Response:
        """The description of ``{base}person/{slug}``."""
        return serve_resource(state, request, [f"{base}person/{slug}"], format)

    @router.get("/concept/{slug}", summary="A concept IRI (minted, or of the vocabulary)")
    def concept_resource(request: Request, slug: Annotated[str, Path(examples=["hair-loss"])],
                         format: FormatParam = None) -> Response:
        """The description of ``{base}concept/{slug}``, else of the vocabulary's ``hkc:{slug}``."""
        return serve_resource(state, request, [f"{base}concept/{slug}", f"{HKC}{slug}"], format)

    parent.include_router(router)


def serve_resource(state: ServingState, request: Request, candidates: list[str], fmt: str | None) -> Response:
    """The first candidate IRI with triples, in the negotiated representation; 404 when none has any."""
    media = page_media_type(request.headers.get("accept"), fmt)
    engine = state.query_engine()
    iri = next((i for i in candidates if is_iri(i) and rq.has_triples(engine, i)), None)
    if iri is None:
        raise NotFound(f"nothing is known about <{candidates[0]}>", {"iri": candidates[0]})
    if media == "text/html":
        linker = Linker(state.settings.base_iri, request.scope.get("root_path", ""))
        page = render_page(iri, rq.describe_rows(engine, iri), rq.referrers(engine, iri), linker)
        return HTMLResponse(page, headers=VARY)
    outcome = engine.query(rq.describe_query(iri), media_type=media)
    return Response(outcome.read(), media_type=outcome.media_type, headers=VARY)
