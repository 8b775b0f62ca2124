"""Encoder speed-up: int8 dynamic quantisation of all-MiniLM-L6-v2 against fp32, same run.

Adopted only when int8 encodes >= 1.5x the fp32 throughput and its nDCG@10 on the labelled
query sets stays within 1% of fp32's. Queries are ranked by exact cosine over the corpus,
so the index plays no part in the comparison.
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPO, median, timed

SPEEDUP_NEEDED, QUALITY_TOLERANCE = 1.5, 0.01


def ndcg_at_10(ranked_gains: list[int], all_gains: list[int]) -> float:
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ranked_gains[:10]))
    ideal = sorted(all_gains, reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mean_ndcg(model: Any, texts: list[str], queries: list[tuple[str, dict[int, int]]]) -> float:
    """Mean nDCG@10 of exact cosine ranking; ``queries`` give gains by text position."""
    docs = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    qv = model.encode([q for q, _ in queries], batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    scores = qv @ docs.T
    total = 0.0
    for row, (_, gains) in zip(scores, queries, strict=True):
        top = np.argsort(-row)[:10]
        total += ndcg_at_10([gains.get(int(i), 0) for i in top], list(gains.values()))
    return total / len(queries)


def generated_queries(corpus_dir: Path) -> tuple[list[str], list[tuple[str, dict[int, int]]]]:
    """The generator's labelled queries over its own corpus (unique sentence texts)."""
    from bench.corpus import labelled_queries, load_corpus
    from kg.article import article_files, load_article
    from kg.vocabulary import Vocabulary

    texts = sorted({s.span.text for p in article_files(corpus_dir) for s in load_article(p).sentences})
    pos = {t: i for i, t in enumerate(texts)}
    labelled = labelled_queries(load_corpus(corpus_dir), Vocabulary.load())
    return texts, [(str(q["query"]), {pos[t]: g for t, g in q["relevant"].items()})  # type: ignore[attr-defined]
                   for q in labelled]


def project_queries() -> tuple[list[str], list[tuple[str, dict[int, int]]]] | None:
    """tests/data/queries.json (hand-labelled, 'slug/index' ids) over the tests/data articles."""
    from kg.article import article_files, load_article

    path = REPO / "tests" / "data" / "queries.json"
    if not path.exists():
        return None
    ids: dict[str, int] = {}
    texts: list[str] = []
    for p in article_files(path.parent):
        article = load_article(p)
        for s in article.sentences:
            ids[f"{article.slug}/{s.index}"] = len(texts)
            texts.append(s.span.text)
    queries = []
    for q in json.loads(path.read_text())["queries"]:
        gains = {ids[k]: int(g) for k, g in q.get("grades", {}).items() if k in ids}
        if gains:
            queries.append((q["query"], gains))
    return texts, queries


def quantised(model: Any) -> Any:
    import torch

    q = copy.deepcopy(model)
    q[0].model = torch.ao.quantization.quantize_dynamic(q[0].model, {torch.nn.Linear}, dtype=torch.qint8)
    return q


def query_latency_ms(model: Any, queries: list[str]) -> float:
    times = []
    for q in queries:
        t0 = time.perf_counter()
        model.encode([q], normalize_embeddings=True, convert_to_numpy=True)
        times.append(time.perf_counter() - t0)
    return median(times) * 1000


def run(corpus: str, repeats: int, sentences: int = 600) -> dict[str, Any]:
    import torch

    from embeddings.encoder import Encoder

    fp32 = Encoder().model
    int8 = quantised(fp32)
    texts = sorted({s for s in generated_queries(Path(corpus))[0]})
    random.Random(1).shuffle(texts)
    texts = texts[:sentences]
    probes = texts[:40]
    out: dict[str, Any] = {"sentences": len(texts), "torch_threads": torch.get_num_threads()}
    rates: dict[str, list[float]] = {"fp32": [], "int8": []}
    for model in (fp32, int8):
        model.encode(texts[:64])
    for _ in range(repeats):
        for name, model in (("fp32", fp32), ("int8", int8)):
            wall, _, _ = timed(lambda m=model: m.encode(texts, batch_size=64, normalize_embeddings=True))  # type: ignore[misc]
            rates[name].append(len(texts) / wall)
    out["throughput_sentences_per_s"] = {k: median(v) for k, v in rates.items()}
    out["throughput_runs"] = {k: [round(x, 1) for x in v] for k, v in rates.items()}
    out["speedup"] = out["throughput_sentences_per_s"]["int8"] / out["throughput_sentences_per_s"]["fp32"]
    out["query_latency_ms"] = {name: query_latency_ms(m, probes) for name, m in (("fp32", fp32), ("int8", int8))}
    torch.set_num_threads(1)
    out["query_latency_ms"]["fp32_1_thread"] = query_latency_ms(fp32, probes)
    out["query_latency_ms"]["int8_1_thread"] = query_latency_ms(int8, probes)
    torch.set_num_threads(out["torch_threads"])
    a = fp32.encode(texts[:300], normalize_embeddings=True)
    b = int8.encode(texts[:300], normalize_embeddings=True)
    out["mean_cosine_int8_vs_fp32"] = float(np.mean(np.sum(a * b, axis=1)))
    out["ndcg@10"] = _quality(fp32, int8, Path(corpus))
    out["adopted"] = out["speedup"] >= SPEEDUP_NEEDED and all(
        v["int8"] >= (1 - QUALITY_TOLERANCE) * v["fp32"] for v in out["ndcg@10"].values())
    out["rule"] = f"adopt int8 only if speedup >= {SPEEDUP_NEEDED} and nDCG@10 >= {1 - QUALITY_TOLERANCE:.2f} x fp32"
    return out


def _quality(fp32: Any, int8: Any, corpus: Path) -> dict[str, dict[str, float]]:
    sets = {"generated": generated_queries(corpus)}
    project = project_queries()
    if project:
        sets["tests/data/queries.json"] = project
    out = {}
    for name, (texts, queries) in sets.items():
        out[name] = {"queries": len(queries), "fp32": mean_ndcg(fp32, texts, queries),
                     "int8": mean_ndcg(int8, texts, queries)}
    return out
