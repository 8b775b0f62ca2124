"""The vector index: FAISS on disk, with stable ids mapped to sentence IRIs.

Contract (one per backend): ``build`` / ``search`` / ``save`` / ``load``. The metadata
(model, dimension, count, normalisation, kind, corpus hashes) is saved beside the index
and checked on load; a mismatch is refused with a clear message.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

from kg.errors import IndexMismatch

INDEX_FILE = "vectors.faiss"
META_FILE = "vectors.json"
IDS_FILE = "vectors.ids.json"
HNSW_THRESHOLD = 200_000


def stable_id(iri: str) -> int:
    """A 63-bit id derived from the sentence IRI: the same sentence keeps its id across builds."""
    return int.from_bytes(hashlib.blake2b(iri.encode(), digest_size=8).digest(), "big") >> 1


@dataclass
class IndexMeta:
    model: str
    dimension: int
    count: int
    kind: str
    normalized: bool = True
    corpus: dict[str, str] = field(default_factory=dict)  # article IRI -> content hash


class VectorIndex:
    """Inner-product search over normalised vectors (cosine); Flat or HNSW by size."""

    def __init__(self, index: faiss.Index, meta: IndexMeta, iris: dict[int, str]) -> None:
        self.index = index
        self.meta = meta
        self.iris = iris

    @classmethod
    def build(cls, vectors: np.ndarray, iris: list[str], model: str, corpus: dict[str, str],
              hnsw_threshold: int = HNSW_THRESHOLD) -> VectorIndex:
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
        kind = "hnsw" if len(iris) >= hnsw_threshold else "flat"
        base = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT) if kind == "hnsw" else faiss.IndexFlatIP(dim)
        if kind == "hnsw":
            base.hnsw.efConstruction = 80
            base.hnsw.efSearch = 64
        index = faiss.IndexIDMap2(base)
        ids = np.fromiter((stable_id(i) for i in iris), dtype=np.int64, count=len(iris))
        if len(set(ids.tolist())) != len(ids):
            raise ValueError("two sentence IRIs map to the same vector id")
        if len(iris):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        meta = IndexMeta(model=model, dimension=dim, count=len(iris), kind=kind, corpus=dict(corpus))
        return cls(index, meta, dict(zip(ids.tolist(), iris)))

    def search(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` nearest sentence IRIs with their cosine scores, best first."""
        if self.meta.count == 0:
            return []
        scores, ids = self.index.search(np.ascontiguousarray(query, dtype=np.float32), min(k, self.meta.count))
        return [(self.iris[int(i)], float(s)) for s, i in zip(scores[0], ids[0]) if i != -1]

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
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(directory / INDEX_FILE), flags)
        iris = {int(k): v for k, v in json.loads((directory / IDS_FILE).read_text()).items()}
        if index.ntotal != meta.count or len(iris) != meta.count or index.d != meta.dimension:
            raise IndexMismatch(f"index in {directory} is inconsistent: {index.ntotal} vectors, {len(iris)} ids, metadata says {meta.count}")
        return cls(index, meta, iris)
