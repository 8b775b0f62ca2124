"""Semantic search over sentences: dense (FAISS), with graph-backed hits."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from api.answer import answer, cap_evidence, link_query
from api.state import ServingState
from api.view import GraphReader
from kg.errors import BadRequest

Mode = Literal["hybrid", "dense", "bm25"]
RRF_K = 60
RRF_POOL = 100


def reciprocal_rank_fusion(rankings: list[list[tuple[str, float]]], k: int = RRF_K,
                           weights: list[float] | None = None) -> list[tuple[str, float]]:
    """Fuse ranked lists: score = sum of weight / (k + rank); ties keep the first list's order."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, (iri, _) in enumerate(ranking):
            scores[iri] = scores.get(iri, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def explain(rankings: dict[str, list[tuple[str, float]]]) -> dict[str, dict[str, dict[str, float]]]:
    """sentence IRI -> {retriever: {"rank": 1-based rank, "score": its own score}} for each list."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, ranking in rankings.items():
        for rank, (iri, score) in enumerate(ranking):
            out.setdefault(iri, {})[name] = {"rank": rank + 1, "score": round(float(score), 6)}
    return out


def boost_evidence(ranked: list[tuple[str, float]], result: dict[str, Any], linked: set[str],
                   bonus: float = 1.0 / (RRF_K + 1)) -> list[tuple[str, float]]:
    """Hybrid reranking from the graph: a sentence that states (or denies) a claim linking two of the
    query's concepts gets one extra first-rank vote (``bonus``)."""
    evidence = {p["sentence"] for c in result["claims"] if c["subject"] in linked and c["object"] in linked
                for p in c["supported_by"] + c["denied_by"]}
    boosted = [(iri, score + bonus * (iri in evidence)) for iri, score in ranked]
    return sorted(boosted, key=lambda kv: -kv[1])


class SearchParams(BaseModel):
    """The fields of GET and POST /search."""

    model_config = {"extra": "forbid"}

    q: str = Field(..., description="The question or text to search for.", examples=["does botox make your hair fall out"])
    k: int = Field(10, ge=1, le=100, description="How many hits to return.")
    offset: int = Field(0, ge=0, le=10_000, description="Hits to skip, for pagination.")
    mode: Mode = Field("hybrid", description="dense (vectors), bm25 (words) or hybrid (both, fused by RRF).")
    min_score: float | None = Field(None, allow_inf_nan=False, description="Drop hits scoring below this.")
    article: str | None = Field(None, description="Only hits from this article IRI.")
    author: str | None = Field(None, description="Only hits from articles by this author (IRI or name).")
    entity_type: str | None = Field(None, description="Only sentences mentioning a concept of this type IRI.")
    predicate: str | None = Field(None, description="Only sentences with a claim of this predicate IRI.")
    negated: bool | None = Field(None, description="Only sentences with a claim of this polarity.")


def check_query(params: SearchParams, max_length: int) -> str:
    q = params.q.strip()
    if not q:
        raise BadRequest("q must not be empty", {"field": "q"})
    try:
        q.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest("q is not valid Unicode text (lone surrogate)", {"field": "q"}) from exc
    if len(q) > max_length:
        raise BadRequest(f"q is longer than {max_length} characters", {"field": "q", "length": len(q)})
    return q


class SearchService:
    """Ranks sentences and dresses each hit with what the graph says about it."""

    def __init__(self, state: ServingState) -> None:
        self.state = state

    def search(self, params: SearchParams) -> dict[str, Any]:
        q = check_query(params, self.state.settings.max_query_length)
        gen = self.state.current()
        reader = self.state.reader()
        want = params.offset + params.k
        filtered = any(getattr(params, f) is not None for f in
                       ("article", "author", "entity_type", "predicate", "negated", "min_score"))
        pool = min(gen.index.meta.count, max(want * (10 if filtered else 1), want))
        vector = None if params.mode == "bm25" else self.state.encoder.encode_query(q)
        lists: dict[str, list[tuple[str, float]]] = {}
        ranked = self.rank(q, max(pool, RRF_POOL) if params.mode == "hybrid" else pool, params.mode, vector, lists)
        concepts = link_query(q, gen, self.state.encoder, vector)
        result = answer(reader, q, concepts, [iri for iri, _ in ranked[:want]], self.state.settings.answer_claims)
        if params.mode == "hybrid":  # rerank the whole fused pool, then cut
            s = self.state.settings
            bonus = max(s.fusion_dense_weight, s.fusion_bm25_weight) / (s.fusion_rrf_k + 1)
            ranked = boost_evidence(ranked, result, {c["iri"] for c in concepts}, bonus)[:pool]
        hits = self._hits(reader, ranked, explain(lists))
        hits = [h for h in hits if self._keep(h, params)]
        page = hits[params.offset:want]
        cap_evidence(result, self.state.settings.answer_evidence)
        return {"query": q, "mode": params.mode, "k": params.k, "offset": params.offset,
                "total": len(hits), "generation": gen.name, "hits": page, "answer": result}

    def rank(self, q: str, n: int, mode: str, vector: np.ndarray | None = None,
             lists: dict[str, list[tuple[str, float]]] | None = None) -> list[tuple[str, float]]:
        """Sentence IRIs best first: dense cosine, BM25, or both fused by weighted reciprocal rank
        (``HEALTHKG_FUSION_*``). ``lists``, when given, receives each retriever's own ranking."""
        gen = self.state.current()
        lists = {} if lists is None else lists
        if mode == "bm25":
            lists["bm25"] = gen.lexical.search(q, n)
            return lists["bm25"]
        vector = self.state.encoder.encode_query(q) if vector is None else vector
        lists["dense"] = gen.index.search(vector, n if mode == "dense" else max(n, RRF_POOL))
        if mode == "dense":
            return lists["dense"]
        lists["bm25"] = gen.lexical.search(q, max(n, RRF_POOL))
        s = self.state.settings
        return reciprocal_rank_fusion([lists["dense"], lists["bm25"]], s.fusion_rrf_k,
                                      [s.fusion_dense_weight, s.fusion_bm25_weight])[:n]

    def _hits(self, reader: GraphReader, ranked: list[tuple[str, float]],
              why: dict[str, dict[str, dict[str, float]]] | None = None) -> list[dict[str, Any]]:
        iris = [iri for iri, _ in ranked]
        info = reader.sentences(iris)
        mentioned = reader.mentions(iris)
        concepts = reader.concepts([c for cs in mentioned.values() for c in cs])
        claims: dict[str, list[dict[str, Any]]] = {}
        for c in reader.claims_from_sentences(iris):
            claims.setdefault(c["provenance"]["sentence"], []).append(
                {k: c[k] for k in ("iri", "subject", "predicate", "object", "negated", "hedged", "certainty")})
        for cs in claims.values():
            cs.sort(key=lambda c: c["iri"])
        hits = []
        for rank, (iri, score) in enumerate(ranked):
            if iri not in info:
                continue  # the graph and the index disagree: never invent a hit
            s = info[iri]
            hits.append({"rank": rank + 1, "score": round(score, 6), "text": s["text"], "sentence": iri,
                         "offsets": s["offsets"], "article": s["article"],
                         "entities": [concepts[c] for c in sorted(mentioned.get(iri, []))],
                         "claims": claims.get(iri, []), "explain": (why or {}).get(iri, {})})
        return hits

    def _keep(self, hit: dict[str, Any], p: SearchParams) -> bool:
        if p.min_score is not None and hit["score"] < p.min_score:
            return False
        if p.article and hit["article"]["iri"] != p.article:
            return False
        if p.author and p.author not in (hit["article"]["author"], hit["article"]["author_iri"]):
            return False
        if p.entity_type and not any(p.entity_type in e["types"] for e in hit["entities"]):
            return False
        if p.predicate and not any(c["predicate"] == p.predicate for c in hit["claims"]):
            return False
        if p.negated is not None and not any(c["negated"] == p.negated for c in hit["claims"]):
            return False
        return True
