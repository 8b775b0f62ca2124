"""``healthkg eval-search FILE``: nDCG@10, recall@10 and MRR of each search mode on labelled queries."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from api.search import SearchService


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


def evaluate_search(service: SearchService, queries_file: Path, base_iri: str,
                    modes: tuple[str, ...] = ("dense", "bm25", "hybrid")) -> dict[str, Any]:
    from api.search import SearchParams

    queries = json.loads(queries_file.read_text())["queries"]
    out: dict[str, Any] = {"queries": len(queries), "modes": {}}
    for mode in modes:
        totals = {"ndcg@10": 0.0, "recall@10": 0.0, "mrr": 0.0}
        for q in queries:
            grades = {sentence_iri(base_iri, s): g for s, g in q["grades"].items()}
            hits = service.search(SearchParams(q=q["query"], k=10, mode=mode))["hits"]  # type: ignore[arg-type]
            ranked = [h["sentence"] for h in hits]
            totals["ndcg@10"] += ndcg(ranked, grades)
            totals["recall@10"] += recall(ranked, set(grades))
            totals["mrr"] += reciprocal_rank(ranked, set(grades))
        out["modes"][mode] = {k: round(v / len(queries), 4) for k, v in totals.items()}
    return out


def format_table(report: dict[str, Any]) -> str:
    lines = [f"{report['queries']} queries", f"{'mode':8} {'nDCG@10':>8} {'R@10':>8} {'MRR':>8}"]
    for mode, m in report["modes"].items():
        lines.append(f"{mode:8} {m['ndcg@10']:8.4f} {m['recall@10']:8.4f} {m['mrr']:8.4f}")
    return "\n".join(lines)
