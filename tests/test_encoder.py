"""The encoder's two backends give the same vectors; the ONNX export is made once and reused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import Encoder

TEXTS = [
    "Botox injections do not cause hair loss.",
    "hair botox",
    "Stress, thyroid disease and iron deficiency can all lead to telogen effluvium, says Dr. Müller.",
    "Can minoxidil help?",
    "Ça ne cause pas de chute de cheveux — 頭髪 😀",
    " ".join(["Chemotherapy may cause hair to fall out in clumps"] * 60),  # past the 256-token limit
    "x",
]


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> tuple[Encoder, Encoder, Path]:
    cache = tmp_path_factory.mktemp("onnx")
    return Encoder(backend="onnx", cache_dir=cache), Encoder(backend="torch"), cache


def test_onnx_and_torch_give_the_same_vectors(backends: tuple[Encoder, Encoder, Path]) -> None:
    onnx, torch, _ = backends
    a, b = onnx.encode(TEXTS), torch.encode(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384) and a.dtype == np.float32
    assert np.abs(a - b).max() < 1e-4
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert onnx.model_id == torch.model_id  # the vector cache is shared between backends


def test_order_and_batches_do_not_change_a_vector(backends: tuple[Encoder, Encoder, Path]) -> None:
    onnx, _, _ = backends
    together = onnx.encode(TEXTS)
    alone = np.concatenate([onnx.encode_query(t) for t in reversed(TEXTS)])[::-1]
    assert np.abs(together - alone).max() < 1e-5
    assert onnx.encode([]).shape == (0, 384)


def test_the_export_is_cached_per_model_and_written_whole(backends: tuple[Encoder, Encoder, Path]) -> None:
    onnx, _, cache = backends
    onnx.encode(["warm"])
    files = sorted(cache.iterdir())
    assert [f.suffix for f in files] == [".onnx"] and not any(".tmp" in f.name for f in files)
    assert files[0].stat().st_mode & 0o044 == 0o044  # readable by a server running as another user
    stamp = files[0].stat().st_mtime_ns
    again = Encoder(backend="onnx", cache_dir=cache)
    again.encode(["no second export"])
    assert sorted(cache.iterdir()) == files and files[0].stat().st_mtime_ns == stamp


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        Encoder(backend="tensorflow")
