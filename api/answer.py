"""The answer to a search: the claims the graph holds about the concepts a query names,
with who supports and who denies each, down to the sentence and its offsets."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from api.state import Generation
from api.view import GraphReader
from embeddings.encoder import Encoder
from kg.vocabulary import fold, number_variants, tokens

LABEL_THRESHOLD = 0.62  # cosine between a query phrase and a concept label, for paraphrases
PREDICATE_HINTS = {
    "https://w3id.org/biolink/vocab/causes": r"\b(?:caus\w*|lead\w*|trigger\w*|make\w*|result\w*|why|fall out|side effects?)\b",
    "https://w3id.org/biolink/vocab/treats": r"\b(?:treat\w*|cur\w*|help\w*|fix\w*|reduc\w*|for|work\w*|get rid)\b",
    "https://w3id.org/biolink/vocab/prevents": r"\b(?:prevent\w*|stop\w*|avoid\w*)\b",
    "https://w3id.org/healthkg/ontology#contains": r"\b(?:contain\w*|ingredient\w*|in it|what is in|made of)\b",
}
_STOP = frozenset("a an the is are do does did can could will would should my your i you it to of in on for and or "
                  "what why how when who which that this with about make makes".split())


def label_index(gen: Generation) -> dict[tuple[str, ...], str]:
    """Folded label -> concept, with plural/singular variants (explicit labels win)."""
    cached = getattr(gen, "_label_index", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    index: dict[tuple[str, ...], str] = {}
    for iri, label in gen.labels:
        index.setdefault(fold(label), iri)
    for key, iri in list(index.items()):
        for variant in number_variants(key):
            index.setdefault(variant, iri)
    object.__setattr__(gen, "_label_index", index)
    return index


def _longest_label(gen: Generation, index: dict[tuple[str, ...], str]) -> int:
    cached = getattr(gen, "_longest_label", None)
    if cached is None:
        cached = max((len(k) for k in index), default=1)
        object.__setattr__(gen, "_longest_label", cached)
    return int(cached)


def link_query(q: str, gen: Generation, encoder: Encoder, vector: np.ndarray | None) -> list[dict[str, Any]]:
    """Concepts the query names: exact labels first, then label embeddings for paraphrased phrases."""
    index = label_index(gen)
    toks = tokens(q)
    longest = _longest_label(gen, index)
    found: dict[str, dict[str, Any]] = {}
    covered: set[int] = set()
    i = 0
    while i < len(toks):
        for n in range(min(longest, len(toks) - i), 0, -1):
            iri = index.get(tuple(t for t, _, _ in toks[i:i + n]))
            if iri:
                found.setdefault(iri, {"iri": iri, "matched": q[toks[i][1]:toks[i + n - 1][2]], "how": "label",
                                       "score": 1.0})
                covered.update(range(i, i + n))
                i += n
                break
        else:
            i += 1
    phrases = _phrases(q, toks, covered) if len(found) < 2 else []  # two named concepts: enough to answer
    for phrase, (iri, score) in zip(phrases, _nearest_labels(gen, encoder, phrases), strict=True):
        if iri and iri not in found and score >= LABEL_THRESHOLD:
            found[iri] = {"iri": iri, "matched": phrase, "how": "embedding", "score": round(score, 4)}
    return sorted(found.values(), key=lambda c: -c["score"])


def _phrases(q: str, toks: list[tuple[str, int, int]], covered: set[int]) -> list[str]:
    """Windows of 2-5 words not already linked by label, with at least two content words."""
    out = []
    for n in (5, 4, 3, 2):
        for i in range(0, max(0, len(toks) - n + 1)):
            window = range(i, i + n)
            if covered & set(window):
                continue
            words = [toks[j][0] for j in window]
            if sum(w not in _STOP for w in words) >= 1 and words[-1] not in _STOP:
                out.append(q[toks[i][1]:toks[i + n - 1][2]])
    return out[:12]


def _nearest_labels(gen: Generation, encoder: Encoder, phrases: list[str]) -> list[tuple[str, float]]:
    """For each phrase, the concept of the most similar label and the cosine (one encoder batch)."""
    if not phrases or not len(gen.labels):
        return [("", 0.0)] * len(phrases)
    sims = encoder.encode(phrases) @ gen.label_vectors.T
    best = np.argmax(sims, axis=1)
    return [(gen.labels[int(b)][0], float(sims[i, b])) for i, b in enumerate(best)]


def answer(reader: GraphReader, q: str, concepts: list[dict[str, Any]], hit_sentences: list[str],
           limit: int = 20) -> dict[str, Any]:
    """Claims touching the linked concepts, grouped by (subject, predicate, object): the ``limit``
    most relevant first (``claims_total`` counts them all)."""
    iris = [c["iri"] for c in concepts]
    if not iris:
        return {"concepts": [], "claims": [], "claims_total": 0}
    groups = reader.claim_groups(iris)
    hits = set(hit_sentences)
    claims = sorted(groups, key=lambda e: -_relevance(e, q, iris, hits))[:limit]
    labels = reader.concepts({x for g in claims for x in (g["subject"], g["object"])} | set(iris))
    for e in claims:
        del e["first_claim"]
        e["subject_label"] = labels[e["subject"]]["label"]
        e["object_label"] = labels[e["object"]]["label"]
        e["verdict"] = _verdict(e)
    linked = [{**c, "label": labels[c["iri"]]["label"], "types": labels[c["iri"]]["types"]} for c in concepts]
    return {"concepts": linked, "claims": claims, "claims_total": len(groups)}


def cap_evidence(result: dict[str, Any], limit: int) -> dict[str, Any]:
    """At most ``limit`` supporting and denying sentences per claim (``supported_count`` and
    ``denied_count`` keep the totals): a claim made across thousands of articles must not make
    a response of megabytes."""
    for e in result["claims"]:
        for side in ("supported_by", "denied_by"):
            e[side] = e[side][:limit]
    return result


def _relevance(e: dict[str, Any], q: str, iris: list[str], hits: set[str]) -> float:
    both = e["subject"] in iris and e["object"] in iris
    hint = PREDICATE_HINTS.get(e["predicate"])
    in_hits = any(p["sentence"] in hits for p in e["supported_by"] + e["denied_by"])
    return (4.0 * both + 2.0 * bool(hint and re.search(hint, q, re.IGNORECASE)) + 1.0 * in_hits
            + 0.1 * (e["supported_count"] + e["denied_count"]))


def _verdict(e: dict[str, Any]) -> str:
    if e["denied_count"] and not e["supported_count"]:
        return "denied"
    if e["supported_count"] and not e["denied_count"]:
        return "supported"
    return "disputed"
