"""The vector index: FAISS on disk, with stable ids mapped to sentence IRIs.

Contract (one per backend): ``build`` / ``search`` / ``save`` / ``load``. The metadata
(model, dimension, count, normalisation, kind, parameters, corpus hashes) is saved beside
the index and checked on load; a mismatch is refused with a clear message.

The kind is chosen by size (``bench/`` measures the trade-off on this hardware):

- ``flat``: exact inner-product search, below :data:`IVF_THRESHOLD` vectors;
- ``ivf-sq8``: an inverted file of ``~sqrt(n)`` lists with 8-bit scalar-quantised codes,
  at and above it (a quarter of the memory of the raw vectors; recall@10 >= 0.95 measured);
- ``hnsw``: a graph index, only when asked for (``hnsw_threshold``): on two cores its build
  is an order of magnitude slower than IVF's at the sizes where either is needed.

Loading memory-maps the vectors of flat and HNSW indexes (``IO_FLAG_MMAP_IFC``), so a
server's resident memory grows only with the pages its searches touch. IVF-SQ8 is read into
memory (its codes are a quarter of the raw vectors): its memory-mapped inverted lists were
searched 2x slower at 1M (3.0 vs 5.6 ms, nprobe 31, measured on this machine).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import faiss
import numpy as np

from kg.errors import IndexMismatch

INDEX_FILE = "vectors.faiss"
META_FILE = "vectors.json"
IDS_FILE = "vectors.ids.json"
IVF_THRESHOLD = 50_000  # from here on, approximate search (ivf-sq8)
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 64
TRAIN_PER_LIST = 64  # k-means training points per inverted list
KINDS = ("flat", "hnsw", "ivf-sq8")


def stable_id(iri: str) -> int:
    """A 63-bit id derived from the sentence IRI: the same sentence keeps its id across builds."""
    return int.from_bytes(hashlib.blake2b(iri.encode(), digest_size=8).digest(), "big") >> 1


def choose_kind(count: int, hnsw_threshold: int | None = None, ivf_threshold: int = IVF_THRESHOLD) -> str:
    """The index kind for ``count`` vectors: exact below the threshold, approximate above."""
    if hnsw_threshold is not None and count >= hnsw_threshold:
        return "hnsw"
    return "ivf-sq8" if count >= ivf_threshold else "flat"


def ivf_params(count: int) -> dict[str, int]:
    """Inverted lists ~ sqrt(n); probe ~3% of them, at least 16 (recall@10 >= 0.95 at 100k and 1M)."""
    nlist = max(1, round(math.sqrt(count)))
    return {"nlist": nlist, "nprobe": min(nlist, max(16, nlist // 32))}


@dataclass
class IndexMeta:
    model: str
    dimension: int
    count: int
    kind: str
    normalized: bool = True
    corpus: dict[str, str] = field(default_factory=dict)  # article IRI -> content hash
    params: dict[str, int] = field(default_factory=dict)  # nlist/nprobe or M/efSearch; empty for flat


class VectorIndex:
    """Inner-product search over normalised vectors (cosine); Flat, IVF-SQ8 or HNSW by size."""

    def __init__(self, index: faiss.Index, meta: IndexMeta, iris: dict[int, str]) -> None:
        self.index = index
        self.meta = meta
        self.iris = iris
        _apply_search_params(index, meta)

    @classmethod
    def build(cls, vectors: np.ndarray, iris: list[str], model: str, corpus: dict[str, str],
              hnsw_threshold: int | None = None, ivf_threshold: int = IVF_THRESHOLD,
              kind: str | None = None) -> VectorIndex:
        """Index ``vectors`` (row i is the sentence ``iris[i]``); ``kind`` overrides the choice by size."""
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
        kind = kind or choose_kind(len(iris), hnsw_threshold, ivf_threshold)
        if kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}; one of {', '.join(KINDS)}")
        ids = np.fromiter((stable_id(i) for i in iris), dtype=np.int64, count=len(iris))
        if len(np.unique(ids)) != len(ids):
            raise ValueError("two sentence IRIs map to the same vector id")
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        index, params = _new_index(kind, dim, data)
        if len(iris):
            index.add_with_ids(data, ids)
        meta = IndexMeta(model=model, dimension=dim, count=len(iris), kind=kind, corpus=dict(corpus), params=params)
        return cls(index, meta, dict(zip(ids.tolist(), iris, strict=True)))

    def search(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` nearest sentence IRIs with their cosine scores, best first."""
        if self.meta.count == 0:
            return []
        scores, ids = self.index.search(np.ascontiguousarray(query, dtype=np.float32), min(k, self.meta.count))
        return [(self.iris[int(i)], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i != -1]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(directory / INDEX_FILE))
        (directory / IDS_FILE).write_text(json.dumps({str(k): v for k, v in self.iris.items()}))
        (directory / META_FILE).write_text(json.dumps(asdict(self.meta), indent=1, sort_keys=True))

    @classmethod
    def load(cls, directory: Path, model: str | None = None, dimension: int | None = None,
             mmap: bool = True) -> VectorIndex:
        """Load and check: the model and dimension must be those asked for, the count consistent."""
        try:
            meta = IndexMeta(**json.loads((directory / META_FILE).read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexMismatch(f"no readable index metadata in {directory}: {exc}") from exc
        if model is not None and meta.model != model:
            raise IndexMismatch(f"index in {directory} was built with model {meta.model!r}, not {model!r}; rebuild it")
        if dimension is not None and meta.dimension != dimension:
            raise IndexMismatch(f"index dimension {meta.dimension} != encoder dimension {dimension}")
        if meta.kind not in KINDS:
            raise IndexMismatch(f"index in {directory} is of unknown kind {meta.kind!r}")
        index = _read(directory / INDEX_FILE, meta.kind, mmap)
        iris = {int(k): v for k, v in json.loads((directory / IDS_FILE).read_text()).items()}
        if index.ntotal != meta.count or len(iris) != meta.count or index.d != meta.dimension:
            raise IndexMismatch(f"index in {directory} is inconsistent: {index.ntotal} vectors, {len(iris)} ids, "
                                f"metadata says {meta.count}")
        return cls(index, meta, iris)


def _new_index(kind: str, dim: int, data: np.ndarray) -> tuple[faiss.Index, dict[str, int]]:
    """An empty index of ``kind`` (trained on ``data`` when it needs training) and its parameters."""
    if kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), {}
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        return faiss.IndexIDMap2(hnsw), {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION,
                                         "efSearch": HNSW_EF_SEARCH}
    params = ivf_params(len(data))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFScalarQuantizer(quantizer, dim, params["nlist"], faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
    sample = min(len(data), TRAIN_PER_LIST * params["nlist"])
    rows = np.sort(np.random.default_rng(0).choice(len(data), sample, replace=False)) if sample < len(data) else None
    ivf.train(data if rows is None else data[rows])
    return ivf, params


def _apply_search_params(index: faiss.Index, meta: IndexMeta) -> None:
    if meta.kind == "ivf-sq8" and "nprobe" in meta.params:
        faiss.extract_index_ivf(index).nprobe = meta.params["nprobe"]
    elif meta.kind == "hnsw":
        hnsw: Any = faiss.downcast_index(cast(Any, index).index)
        hnsw.hnsw.efSearch = meta.params.get("efSearch", HNSW_EF_SEARCH)


def _read(path: Path, kind: str, mmap: bool) -> faiss.Index:
    """Read an index file, memory-mapped where FAISS supports it for ``kind``."""
    try:
        if not mmap or kind == "ivf-sq8":  # mmap'd inverted lists searched 2x slower (bench/); SQ8 codes are 1/4
            return faiss.read_index(str(path))
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError as exc:  # FAISS says "read error 918 != 342528" and the C++ file/line, never the path
        reason = str(exc).rsplit("Error: ", 1)[-1].strip() or type(exc).__name__
        raise IndexMismatch(f"cannot read the vector index {path}: {reason}") from exc
