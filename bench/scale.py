"""Index choice by size, and serving generations at 100k / 1M sentences without encoding them.

Vectors beyond the real corpus are *derived*: copy k of sentence j is ``normalise(e_j + s*g)``,
``g`` Gaussian with unit expected norm and ``s = 0.4`` (cosine ~0.93 to its source, like a
paraphrase), so the index sees the real distribution of generated sentences, spread out.
Copy 0 is the real 10k corpus. Queries are real encoded questions, never data points.

A scaled generation is assembled directly (it would take hours to extract and encode 1M
sentences here): the index from the derived vectors; a store holding, for every copy of
every article, the triples that search lookups read (sentence text, offsets, article,
author, mentions, claims) - the text snapshot, mention nodes and annotation selectors are
left out; the lexical index over the copies' texts; the rest copied from the real build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import BASE_IRI, median, percentile, proc_status, timed

SIGMA = 0.4
FULL_COPIES = 10  # copies with claims and mentions; further copies hold only the sentence lookups
RDF_TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SENTENCE_ONLY = tuple(p.encode() for p in (
    "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#anchorOf>",
    "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#beginIndex>",
    "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#endIndex>",
    "<http://purl.org/dc/terms/isPartOf>", "<http://schema.org/headline>", "<http://schema.org/author>",
    "<http://schema.org/name>"))
QUERY_COUNT = 200
# Article triples a scaled store leaves out: the snapshot, mention nodes, selectors, provenance detail.
DROP_PREDICATES = tuple(p.encode() for p in (
    "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#isString>",
    "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#referenceContext>",
    "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#sentence>",
    "<http://www.w3.org/2005/11/its/rdf#taIdentRef>", "<http://schema.org/hasPart>",
    "<https://w3id.org/biolink/vocab/supporting_text>", "<https://w3id.org/healthkg/ontology#cue>",
    "<http://www.w3.org/ns/oa#hasTarget>"))


# -- vectors ------------------------------------------------------------------------------

def generation_vectors(corpus: Path, data_dir: Path) -> tuple[np.ndarray, list[str], list[str]]:
    """The vectors, sentence IRIs and texts of a built generation, read from the build's vector cache."""
    from api.build import vectors_key
    from embeddings.encoder import Encoder
    from kg.article import article_files, load_article
    from kg.namespaces import Minter

    cache = data_dir / "cache" / "vectors" / Encoder().model_id.replace("/", "_")
    minter = Minter(BASE_IRI)
    parts, iris, texts = [], [], []
    for path in article_files(corpus):
        article = load_article(path)
        parts.append(np.load(cache / f"{vectors_key(article)}.npy"))
        iris += [minter.sentence(article.slug, s.index) for s in article.sentences]
        texts += [s.span.text for s in article.sentences]
    return np.concatenate(parts), iris, texts


def derive(base: np.ndarray, copies: int, seed: int = 11) -> np.ndarray:
    """``copies`` copies of ``base`` (copy 0 exact), each further copy with fresh noise, renormalised."""
    rng = np.random.default_rng(seed)
    n, dim = base.shape
    out = np.empty((n * copies, dim), dtype=np.float32)
    out[:n] = base
    for k in range(1, copies):
        block = out[k * n:(k + 1) * n]
        block[:] = rng.standard_normal((n, dim), dtype=np.float32)
        block *= SIGMA / np.sqrt(dim)
        block += base
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    return out


def copy_iri(iri: str, k: int) -> str:
    return iri if k == 0 else iri.replace("/article/", f"/article/r{k}-", 1)


def query_texts() -> list[str]:
    """Real questions about the vocabulary's conditions and treatments (deterministic)."""
    import random

    from kg.vocabulary import Vocabulary

    vocab = Vocabulary.load()
    conditions = sorted(c.label for i, c in vocab.concepts.items() if "condition" in vocab.categories(i))
    treatments = sorted(c.label for i, c in vocab.concepts.items() if "treatment" in vocab.categories(i))
    rng = random.Random(5)
    forms = ("what causes {X}", "how is {X} treated", "does {T} cause {X}", "is {T} safe",
             "can {T} help with {X}", "{T} side effects")
    return [rng.choice(forms).format(X=rng.choice(conditions), T=rng.choice(treatments)) for _ in range(QUERY_COUNT)]


def encode_queries(texts: list[str]) -> np.ndarray:
    from embeddings.encoder import Encoder

    return Encoder().encode(texts)


def exact_top(data: np.ndarray, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k (row numbers, scores) by inner product, best first (chunked matrix products)."""
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(data), 200_000):
        scores = queries @ data[start:start + 200_000].T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(scores, top, 1)], axis=1)
        cand_i = np.concatenate([best_i, top + start], axis=1)
        order = np.argsort(-cand_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, order, 1), np.take_along_axis(cand_i, order, 1)
    return best_i, best_s


# -- index measurements ---------------------------------------------------------------------

def measure_index(data: np.ndarray, iris: list[str], queries: np.ndarray, truth: tuple[np.ndarray, np.ndarray],
                  kind: str | None, save_to: Path | None = None, latency_queries: int = QUERY_COUNT) -> dict[str, Any]:
    """Build one index (the automatic choice when ``kind`` is None); recall@10, latency, size.

    Recall counts a hit as correct when its exact score reaches the exact 10th score, so
    identical sentences (equal vectors) tie instead of counting as misses.
    """
    from embeddings.encoder import Encoder
    from embeddings.index import VectorIndex

    model = Encoder().model_id
    wall, _, index = timed(lambda: VectorIndex.build(data, iris, model, {}, kind=kind))
    row_of = {iri: i for i, iri in enumerate(iris)}
    found, lat = [], []
    for qi in range(len(queries)):
        t0 = time.perf_counter()
        hits = index.search(queries[qi:qi + 1], 10)
        if qi < latency_queries:
            lat.append(time.perf_counter() - t0)
        exact = data[[row_of[h] for h, _ in hits]] @ queries[qi]
        found.append(int(np.sum(exact >= truth[1][qi, -1] - 1e-5)) / 10)
    out = {"kind": index.meta.kind, "params": index.meta.params, "count": len(iris), "build_s": round(wall, 3),
           "recall@10": float(np.mean(found)), "search_p50_ms": median(lat) * 1000,
           "search_p99_ms": percentile(lat, 99) * 1000}
    if save_to is not None:
        index.save(save_to)
        out["file_mib"] = round(os.path.getsize(save_to / "vectors.faiss") / 2**20, 1)
    return out


def small_sizes(corpus: str, data_dir: str) -> dict[str, Any]:
    """1k and 10k: the automatic choice against the alternatives, on the real vectors."""
    vectors, iris, _ = generation_vectors(Path(corpus), Path(data_dir))
    queries = encode_queries(query_texts())
    out: dict[str, Any] = {}
    for size in (1_000, len(iris)):
        data, ids = vectors[:size], iris[:size]
        truth = exact_top(data, queries)
        row = {"auto": measure_index(data, ids, queries, truth, None)}
        if size > 1_000:
            row["ivf-sq8"] = measure_index(data, ids, queries, truth, "ivf-sq8")
            row["hnsw"] = measure_index(data, ids, queries, truth, "hnsw")
        out[str(size)] = row
    return out


# -- a scaled generation ----------------------------------------------------------------------

def scaled_generation(corpus: str, data_dir: str, out_dir: str, copies: int, flat_latency: int) -> dict[str, Any]:
    """Assemble a generation of ``copies`` x the 10k corpus under ``out_dir``; measure its index."""
    from api.build import current_generation

    source = current_generation(Path(data_dir))
    assert source is not None
    vectors, iris, texts = generation_vectors(Path(corpus), Path(data_dir))
    wall_derive, _, data = timed(lambda: derive(vectors, copies))
    all_iris = [copy_iri(i, k) for k in range(copies) for i in iris]
    queries = encode_queries(query_texts())
    wall_truth, _, truth = timed(lambda: exact_top(data, queries))
    gen = Path(out_dir) / "generations" / f"g-scaled-{copies}x"
    shutil.rmtree(Path(out_dir), ignore_errors=True)
    gen.mkdir(parents=True)
    out: dict[str, Any] = {"sentences": len(all_iris), "derive_s": round(wall_derive, 2),
                           "exact_truth_s": round(wall_truth, 2)}
    out["auto"] = measure_index(data, all_iris, queries, truth, None, save_to=gen / "index")
    out["flat"] = measure_index(data, all_iris, queries, truth, "flat", latency_queries=flat_latency)
    out["store"] = _scaled_store(source / "store", gen / "store", copies)
    out["lexical_s"] = _lexical(texts * copies, all_iris, gen / "lexical")
    out["view"] = _scaled_view(source, gen, copies)
    _finish(source, gen, Path(out_dir), copies, len(all_iris), out)
    out["assembly_peak_rss_mib"] = proc_status().get("VmHWM", 0)
    return out


def _renamed(quads: bytes, k: int) -> bytes:
    return quads.replace(b"/article/", f"/article/r{k}-".encode()) if k else quads


class _Replicas:
    """A file-like reader of N-Quads: the article quads ``copies`` times, each copy renamed."""

    def __init__(self, shared: bytes, full: bytes, sentences: bytes, copies: int) -> None:
        self.chunks: Iterator[bytes] = (_renamed(full if k < FULL_COPIES else sentences, k) for k in range(copies))
        self.current, self.offset = shared, 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (fewer at the end of a copy); b"" at the end of the last one."""
        while self.offset >= len(self.current):
            nxt = next(self.chunks, None)
            if nxt is None:
                return b""
            self.current, self.offset = nxt, 0
        end = len(self.current) if size < 0 else self.offset + size
        out = self.current[self.offset:end]
        self.offset += len(out)
        return out


def lookup_quads(nquads: bytes) -> tuple[bytes, bytes, bytes]:
    """(shared quads, article quads kept for lookups, sentence-only article quads) of a store dump."""
    shared, articles, sentences = [], [], []
    for line in nquads.splitlines(keepends=True):
        graph = line.rsplit(b" ", 2)[-2]
        if b"/article/" not in graph:
            shared.append(line)
            continue
        subject, predicate = line.split(b" ", 2)[:2]
        if (predicate in DROP_PREDICATES or subject.startswith(b"_:") or b"/mention/" in subject
                or subject.endswith(b"/text>") or re.search(rb"/claim/\d+#", subject)
                or (predicate == RDF_TYPE and (b"/sentence/" in subject or b"/claim/" in subject))):
            continue
        articles.append(line)
        if predicate in SENTENCE_ONLY and b"/claim/" not in subject:
            sentences.append(line)
    return b"".join(shared), b"".join(articles), b"".join(sentences)


def _scaled_store(source: Path, target: Path, copies: int) -> dict[str, Any]:
    import pyoxigraph as ox

    src = ox.Store.read_only(str(source))
    shared, full, sentences = lookup_quads(src.dump(format=ox.RdfFormat.N_QUADS))
    del src
    full_copies = min(copies, FULL_COPIES)
    triples = shared.count(b"\n") + full_copies * full.count(b"\n") + (copies - full_copies) * sentences.count(b"\n")
    wall, _, loaded = timed(lambda: _bulk_load(target, _Replicas(shared, full, sentences, copies)))
    return {"triples": loaded, "expected_triples": triples, "bulk_load_s": round(wall, 2),
            "bulk_load_triples_per_s": loaded / wall,
            "copies_with_claims_and_mentions": full_copies, "article_triples_per_full_copy": full.count(b"\n"),
            "article_triples_per_sentence_only_copy": sentences.count(b"\n")}


def _bulk_load(target: Path, source: _Replicas) -> int:
    import pyoxigraph as ox

    store = ox.Store(str(target))
    store.bulk_load(source, ox.RdfFormat.N_QUADS)
    store.flush()
    return len(store)


def _scaled_view(source: Path, target: Path, copies: int) -> dict[str, Any]:
    """The scaled generation's view: each copy's sentence rows renamed as its quads are (copies
    past FULL_COPIES without mentions and claims, as in the store); the claim groups of every
    full copy, grouped as the build groups them; the concept rows as they are."""
    from api.graphdata import group_claims
    from api.view import VIEW_DIR, Table, encode_entry
    from embeddings.index import stable_id

    src, dst = source / VIEW_DIR, target / VIEW_DIR
    dst.mkdir(parents=True)
    t0 = time.perf_counter()
    full, bare = [], []
    for key, raw in Table(src, "sentences").entries():
        row = json.loads(raw)[1]
        full.append((key, raw))
        bare.append((key, encode_entry(key, {**row, "mentions": [], "claims": []})[1]))

    def sentence_entries() -> Iterator[tuple[int, bytes]]:
        for k in range(copies):
            for key, raw in full if k < FULL_COPIES else bare:
                yield stable_id(copy_iri(key, k)), _renamed(raw, k)

    rows = Table.write_entries(dst, "sentences", sentence_entries())
    claims: dict[str, dict[str, dict[str, Any]]] = {}  # concept -> claim IRI -> claim row, every full copy
    for _, raw in full:
        for claim in json.loads(raw)[1]["claims"]:
            text = json.dumps(claim).encode()
            for k in range(min(copies, FULL_COPIES)):
                renamed = json.loads(_renamed(text, k))
                for concept in (renamed["subject"], renamed["object"]):
                    claims.setdefault(concept, {})[renamed["iri"]] = renamed
    Table.write(dst, "claim_groups", ((c, group_claims(by_iri[i] for i in sorted(by_iri))) for c, by_iri in claims.items()))
    for f in src.glob("concepts.*"):
        shutil.copy(f, dst / f.name)
    (dst / "view.json").write_text(json.dumps({"sentences": rows, "scaled_from": source.name}))
    return {"rows": rows, "write_s": round(time.perf_counter() - t0, 2),
            "file_mib": round(sum(f.stat().st_size for f in dst.iterdir()) / 2**20, 1)}


def _lexical(texts: list[str], iris: list[str], target: Path) -> float | None:
    try:
        from embeddings.lexical import LexicalIndex
    except ImportError:
        return None
    wall, _, index = timed(lambda: LexicalIndex.build(texts, iris))
    index.save(target)
    return round(wall, 2)


def _finish(source: Path, gen: Path, out_dir: Path, copies: int, sentences: int, out: dict[str, Any]) -> None:
    """Copy what else the real generation holds, write the manifest, point ``current`` at it."""
    for item in source.iterdir():
        if item.is_dir() and not (gen / item.name).exists():
            shutil.copytree(item, gen / item.name)
    manifest = json.loads((source / "manifest.json").read_text())
    counts = manifest.get("counts", {})
    manifest.update(generation=gen.name, scaled_from=source.name, copies=copies,
                    counts={"articles": counts.get("articles", 0) * copies, "sentences": sentences,
                            "triples": out["store"]["triples"], "claims": counts.get("claims", 0) * copies},
                    index={"kind": out["auto"]["kind"], "count": sentences})
    (gen / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.symlink(os.path.relpath(gen, out_dir), out_dir / "current")
