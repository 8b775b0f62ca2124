"""``healthkg eval-search FILE``: nDCG@10, recall@10 and MRR of each search mode on labelled
queries, per query group; how well queries link to the concepts they name; and, for queries
with an expected verdict, whether the answer's verdict on that claim is right.

A labelled relevant sentence is named by id (``slug/index``) and, optionally, by its text
(``texts``): the text is the source of truth, so a change in sentence segmentation moves the
label to the sentence that now holds that text instead of silently grading another one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from api.answer import link_query
from api.search import SearchParams, SearchService
from kg.vocabulary import fold, number_variants

PREDICATES = {"causes": "https://w3id.org/biolink/vocab/causes", "treats": "https://w3id.org/biolink/vocab/treats",
              "prevents": "https://w3id.org/biolink/vocab/prevents",
              "contains": "https://w3id.org/healthkg/ontology#contains"}


def ndcg(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** grades.get(iri, 0) - 1) / math.log2(i + 2) for i, iri in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[str], relevant: set[str]) -> float:
    return next((1.0 / (i + 1) for i, iri in enumerate(ranked) if iri in relevant), 0.0)


def sentence_iri(base_iri: str, sentence_id: str) -> str:
    """'botox-hair-loss/14' -> '{base}article/botox-hair-loss/sentence/14'."""
    slug, index = sentence_id.rsplit("/", 1)
    return f"{base_iri}article/{slug}/sentence/{index}"


def _keys(label: str) -> set[tuple[str, ...]]:
    key = fold(label)
    return {key, *number_variants(key)}


class Labels:
    """Every label of the serving generation, by concept, folded (vocabulary and minted)."""

    def __init__(self, labels: list[tuple[str, str]]) -> None:
        self.by_concept: dict[str, set[tuple[str, ...]]] = {}
        for iri, label in labels:
            self.by_concept.setdefault(iri, set()).update(_keys(label))

    def names(self, iri: str, name: str) -> bool:
        """Whether concept ``iri`` has ``name`` (or its singular/plural) among its labels."""
        return bool(self.by_concept.get(iri, set()) & _keys(name))


def resolve_grades(service: SearchService, q: dict[str, Any], base_iri: str) -> dict[str, int]:
    """The query's graded sentence IRIs, each moved to the sentence holding its labelled text."""
    grades = {sentence_iri(base_iri, s): g for s, g in q["grades"].items()}
    texts = {sentence_iri(base_iri, s): t for s, t in q.get("texts", {}).items()}
    if not texts:
        return grades
    reader = service.state.reader()
    found = reader.sentences(list(texts))
    out: dict[str, int] = {}
    for iri, grade in grades.items():
        if iri in texts and found.get(iri, {}).get("text") != texts[iri]:
            article = iri.rsplit("/sentence/", 1)[0]
            index = int(iri.rsplit("/", 1)[1])
            nearby = reader.sentences([f"{article}/sentence/{n}" for n in range(max(0, index - 60), index + 60)])
            iri = next((i for i, s in nearby.items() if s["text"] == texts[iri]), iri)
        out[iri] = max(grade, out.get(iri, 0))
    return out


def _verdict(answer: dict[str, Any], claim: dict[str, str], labels: Labels) -> str:
    """The answer's verdict on the labelled claim, or 'none' when the answer does not hold it."""
    predicate = PREDICATES.get(claim["predicate"], claim["predicate"])
    for c in answer["claims"]:
        if c["predicate"] == predicate and labels.names(c["subject"], claim["subject"]) \
                and labels.names(c["object"], claim["object"]):
            return str(c["verdict"])
    return "none"


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def evaluate_search(service: SearchService, queries_file: Path, base_iri: str,
                    modes: tuple[str, ...] = ("dense", "bm25", "hybrid")) -> dict[str, Any]:
    queries = json.loads(queries_file.read_text())["queries"]
    gen = service.state.current()
    labels = Labels(gen.labels)
    out: dict[str, Any] = {"queries": len(queries), "modes": {}, "groups": {}}
    per_query: dict[str, dict[str, dict[str, float]]] = {mode: {} for mode in modes}
    verdicts: list[tuple[str, str, str]] = []  # (group, expected, answered)
    for q in queries:
        grades = resolve_grades(service, q, base_iri)
        for mode in modes:
            body = service.search(SearchParams(q=q["query"], k=10, mode=mode))  # type: ignore[arg-type]
            ranked = [h["sentence"] for h in body["hits"]]
            per_query[mode][q["id"]] = {"ndcg@10": ndcg(ranked, grades), "recall@10": recall(ranked, set(grades)),
                                        "mrr": reciprocal_rank(ranked, set(grades))}
            if mode == "hybrid" and "verdict" in q and "claim" in q:
                verdicts.append((q.get("group", "all"), q["verdict"], _verdict(body["answer"], q["claim"], labels)))
    groups: dict[str, list[str]] = {}
    for q in queries:
        groups.setdefault(q.get("group", "all"), []).append(q["id"])
        if q.get("multi_article"):
            groups.setdefault("multi_article", []).append(q["id"])
    for mode in modes:
        scores = per_query[mode]
        out["modes"][mode] = {m: _mean([s[m] for s in scores.values()]) for m in ("ndcg@10", "recall@10", "mrr")}
        for group, ids in sorted(groups.items()):
            out["groups"].setdefault(group, {"queries": len(ids)})[mode] = {
                m: _mean([scores[i][m] for i in ids]) for m in ("ndcg@10", "recall@10", "mrr")}
    out["linking"] = _linking(service, queries, labels)
    if verdicts:
        denial = [v for v in verdicts if v[1] == "denied"]
        out["verdicts"] = {
            "queries": len(verdicts), "accuracy": _mean([float(e == a) for _, e, a in verdicts]),
            "denial_queries": len(denial), "denial_accuracy": _mean([float(a == "denied") for _, _, a in denial]),
            "denied_answered_supported": sum(a == "supported" for _, _, a in denial),
            "answered": {a: sum(x == a for _, _, x in verdicts) for a in sorted({a for _, _, a in verdicts})}}
    return out


def _linking(service: SearchService, queries: list[dict[str, Any]], labels: Labels) -> dict[str, Any]:
    """Micro precision and recall of query -> concept linking against each query's ``concepts``."""
    gen = service.state.current()
    linked_total = correct = named_total = named_found = 0
    for q in queries:
        if "concepts" not in q:
            continue
        linked = [c["iri"] for c in link_query(q["query"], gen, service.state.encoder, None)]
        names = q["concepts"]
        linked_total += len(linked)
        correct += sum(any(labels.names(iri, n) for n in names) for iri in linked)
        named_total += len(names)
        named_found += sum(any(labels.names(iri, n) for iri in linked) for n in names)
    if not named_total:
        return {}
    return {"precision": round(correct / linked_total, 4) if linked_total else 0.0,
            "recall": round(named_found / named_total, 4), "linked": linked_total, "named": named_total}


def format_table(report: dict[str, Any]) -> str:
    lines = [f"{report['queries']} queries", f"{'mode':8} {'nDCG@10':>8} {'R@10':>8} {'MRR':>8}"]
    for mode, m in report["modes"].items():
        lines.append(f"{mode:8} {m['ndcg@10']:8.4f} {m['recall@10']:8.4f} {m['mrr']:8.4f}")
    groups = report.get("groups", {})
    if len(groups) > 1:
        modes = list(report["modes"])
        lines.append(f"{'group':14} {'n':>3} " + " ".join(f"{m + ' nDCG':>11}" for m in modes))
        for group, g in groups.items():
            lines.append(f"{group:14} {g['queries']:3d} " + " ".join(f"{g[m]['ndcg@10']:11.4f}" for m in modes))
    if report.get("linking"):
        k = report["linking"]
        lines.append(f"concept linking: precision {k['precision']:.3f} ({k['linked']} linked), "
                     f"recall {k['recall']:.3f} ({k['named']} named)")
    if report.get("verdicts"):
        v = report["verdicts"]
        lines.append(f"verdicts: {v['accuracy']:.3f} right of {v['queries']}; denial questions "
                     f"{v['denial_accuracy']:.3f} of {v['denial_queries']} answered denied, "
                     f"{v['denied_answered_supported']} answered supported; answered {v['answered']}")
    return "\n".join(lines)
