"""Encoder speed-up: ONNX Runtime (fp32, int8) and torch int8 against torch fp32, same run.

The baseline is ``SentenceTransformer.encode`` on PyTorch fp32. A candidate is adopted only
when it encodes >= 1.5x the baseline's throughput and its nDCG@10 on the labelled query sets
stays within 1% of the baseline's. Queries are ranked by exact cosine over the corpus, so the
index plays no part in the comparison. The build and the server use the fastest adopted one
(``HEALTHKG_ENCODER_BACKEND``; ``onnx`` is ONNX Runtime fp32).
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

from bench.common import REPO, median, percentile, timed

SPEEDUP_NEEDED, QUALITY_TOLERANCE = 1.5, 0.01


def ndcg_at_10(ranked_gains: list[int], all_gains: list[int]) -> float:
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ranked_gains[:10]))
    ideal = sorted(all_gains, reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


Encode = Any  # (texts, batch_size) -> normalised float32 vectors


def mean_ndcg(encode: Encode, texts: list[str], queries: list[tuple[str, dict[int, int]]]) -> float:
    """Mean nDCG@10 of exact cosine ranking; ``queries`` give gains by text position."""
    docs = encode(texts, 64)
    qv = encode([q for q, _ in queries], 64)
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


def _torch(model: Any) -> Encode:
    return lambda texts, bs: model.encode(texts, batch_size=bs, normalize_embeddings=True, convert_to_numpy=True)


def candidates(cache: Path, threads: int | None = None) -> dict[str, Encode]:
    """The baseline (``torch-fp32``) and each candidate, as encode functions."""
    from embeddings.encoder import Encoder
    from embeddings.onnx_backend import OnnxSentenceEncoder

    base = Encoder()
    st = base.model
    onnx = OnnxSentenceEncoder(base.model_path, cache, intra_op_num_threads=threads)
    onnx8 = OnnxSentenceEncoder(base.model_path, cache, quantized=True, intra_op_num_threads=threads)
    return {"torch-fp32": _torch(st), "torch-int8": _torch(quantised(st)),
            "onnx-fp32": lambda t, bs: onnx.encode(t, batch_size=bs),
            "onnx-int8": lambda t, bs: onnx8.encode(t, batch_size=bs)}


def query_latency_ms(encode: Encode, queries: list[str]) -> dict[str, float]:
    times = []
    for q in queries * 3:
        t0 = time.perf_counter()
        encode([q], 1)
        times.append(time.perf_counter() - t0)
    return {"p50": median(times) * 1000, "p99": percentile(times, 99) * 1000}


def run(corpus: str, repeats: int, sentences: int = 600) -> dict[str, Any]:
    import tempfile

    import torch

    texts = sorted({s for s in generated_queries(Path(corpus))[0]})
    random.Random(1).shuffle(texts)
    texts = texts[:sentences]
    probes = texts[:40]
    cache = Path(tempfile.mkdtemp(prefix="bench-onnx-"))
    models = candidates(cache)
    out: dict[str, Any] = {"sentences": len(texts), "torch_threads": torch.get_num_threads(), "baseline": "torch-fp32"}
    rates: dict[str, list[float]] = {name: [] for name in models}
    for encode in models.values():
        encode(texts[:64], 64)
    for _ in range(repeats):  # interleaved: each round times every model once
        for name, encode in models.items():
            wall, _, _ = timed(lambda e=encode: e(texts, 64))  # type: ignore[misc]
            rates[name].append(len(texts) / wall)
    out["throughput_sentences_per_s"] = {k: median(v) for k, v in rates.items()}
    out["throughput_runs"] = {k: [round(x, 1) for x in v] for k, v in rates.items()}
    base_rate = out["throughput_sentences_per_s"]["torch-fp32"]
    out["speedup"] = {k: v / base_rate for k, v in out["throughput_sentences_per_s"].items()}
    out["query_latency_ms"] = {name: query_latency_ms(e, probes) for name, e in models.items()}
    torch.set_num_threads(1)
    one = candidates(cache, threads=1)
    out["query_latency_ms_1_thread"] = {name: query_latency_ms(e, probes) for name, e in one.items()}
    torch.set_num_threads(out["torch_threads"])
    a = models["torch-fp32"](texts[:300], 64)
    out["vs_baseline"] = {}
    for name, encode in models.items():
        b = encode(texts[:300], 64)
        cos = np.sum(a * b, axis=1)
        out["vs_baseline"][name] = {"mean_cosine": float(np.mean(cos)), "min_cosine": float(np.min(cos)),
                                    "max_abs_diff": float(np.abs(a - b).max())}
    out["ndcg@10"] = _quality(models, Path(corpus))
    out["adopted"] = {name: name != "torch-fp32" and out["speedup"][name] >= SPEEDUP_NEEDED and all(
        v[name] >= (1 - QUALITY_TOLERANCE) * v["torch-fp32"] for v in out["ndcg@10"].values()) for name in models}
    passing = [n for n, ok in out["adopted"].items() if ok]
    out["chosen"] = max(passing, key=lambda n: out["speedup"][n]) if passing else "torch-fp32"
    out["rule"] = (f"adopt a candidate only if its throughput >= {SPEEDUP_NEEDED} x torch-fp32 and its "
                   f"nDCG@10 >= {1 - QUALITY_TOLERANCE:.2f} x torch-fp32's on every labelled set")
    return out


def _quality(models: dict[str, Encode], corpus: Path) -> dict[str, dict[str, float]]:
    sets = {"generated": generated_queries(corpus)}
    project = project_queries()
    if project:
        sets["tests/data/queries.json"] = project
    out: dict[str, dict[str, float]] = {}
    for name, (texts, queries) in sets.items():
        out[name] = {"queries": len(queries), **{m: mean_ndcg(e, texts, queries) for m, e in models.items()}}
    return out
