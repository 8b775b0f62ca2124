"""embeddings.index: build / search / save / load, metadata checks, stable ids."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embeddings.index import IDS_FILE, META_FILE, IndexMeta, VectorIndex, stable_id
from kg.errors import IndexMismatch

MODEL = "all-MiniLM-L6-v2@0123456789ab"
DIM = 384


def unit_vectors(n: int, dim: int = DIM, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def sentence_iris(n: int, article: str = "a") -> list[str]:
    return [f"https://healthkg.test/article/{article}/sentence/{i}" for i in range(n)]


@pytest.fixture(params=["flat", "hnsw"])
def built(request: pytest.FixtureRequest) -> tuple[VectorIndex, np.ndarray, list[str]]:
    vectors, iris = unit_vectors(50), sentence_iris(50)
    threshold = 10 if request.param == "hnsw" else 10_000
    index = VectorIndex.build(vectors, iris, MODEL, {"https://healthkg.test/article/a": "sha256:x"},
                              hnsw_threshold=threshold)
    assert index.meta.kind == request.param
    return index, vectors, iris


def test_search_finds_each_vector_itself_first(built: tuple[VectorIndex, np.ndarray, list[str]]) -> None:
    index, vectors, iris = built
    for i in (0, 17, 49):
        hits = index.search(vectors[i:i + 1], 3)
        assert hits[0][0] == iris[i]
        assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_search_never_returns_more_than_the_index_holds() -> None:
    index = VectorIndex.build(unit_vectors(3), sentence_iris(3), MODEL, {})
    assert len(index.search(unit_vectors(1, seed=1), 100)) == 3


def test_empty_index_round_trip(tmp_path: Path) -> None:
    empty = VectorIndex.build(np.zeros((0, DIM), dtype=np.float32), [], MODEL, {})
    empty.save(tmp_path / "idx")
    loaded = VectorIndex.load(tmp_path / "idx", model=MODEL, dimension=DIM)
    assert loaded.meta.count == 0
    assert loaded.search(unit_vectors(1), 5) == []


@pytest.mark.parametrize("mmap", [True, False])
def test_save_load_round_trip(tmp_path: Path, built: tuple[VectorIndex, np.ndarray, list[str]], mmap: bool) -> None:
    index, vectors, _ = built
    index.save(tmp_path / "idx")
    loaded = VectorIndex.load(tmp_path / "idx", model=MODEL, dimension=DIM, mmap=mmap)
    assert loaded.meta == index.meta
    assert loaded.iris == index.iris
    query = unit_vectors(2, seed=99)
    for q in range(2):
        before, after = index.search(query[q:q + 1], 10), loaded.search(query[q:q + 1], 10)
        assert [i for i, _ in after] == [i for i, _ in before]
        assert [s for _, s in after] == pytest.approx([s for _, s in before], abs=1e-5)
    meta = json.loads((tmp_path / "idx" / META_FILE).read_text())
    assert meta["model"] == MODEL and meta["dimension"] == DIM and meta["count"] == 50
    assert meta["normalized"] is True
    assert meta["corpus"] == {"https://healthkg.test/article/a": "sha256:x"}


def test_load_refuses_another_model(tmp_path: Path, built: tuple[VectorIndex, np.ndarray, list[str]]) -> None:
    built[0].save(tmp_path / "idx")
    with pytest.raises(IndexMismatch) as err:
        VectorIndex.load(tmp_path / "idx", model="some-other-model@ffffffffffff")
    assert MODEL in err.value.message and "some-other-model" in err.value.message


def test_load_refuses_another_dimension(tmp_path: Path, built: tuple[VectorIndex, np.ndarray, list[str]]) -> None:
    built[0].save(tmp_path / "idx")
    with pytest.raises(IndexMismatch) as err:
        VectorIndex.load(tmp_path / "idx", model=MODEL, dimension=768)
    assert "768" in err.value.message and str(DIM) in err.value.message


def test_load_refuses_missing_metadata(tmp_path: Path) -> None:
    (tmp_path / "idx").mkdir()
    with pytest.raises(IndexMismatch):
        VectorIndex.load(tmp_path / "idx")


def test_load_refuses_inconsistent_files(tmp_path: Path, built: tuple[VectorIndex, np.ndarray, list[str]]) -> None:
    built[0].save(tmp_path / "idx")
    ids_file = tmp_path / "idx" / IDS_FILE
    ids = json.loads(ids_file.read_text())
    ids.pop(next(iter(ids)))
    ids_file.write_text(json.dumps(ids))
    with pytest.raises(IndexMismatch):
        VectorIndex.load(tmp_path / "idx", model=MODEL)


def test_load_refuses_metadata_that_lies_about_the_dimension(tmp_path: Path) -> None:
    VectorIndex.build(unit_vectors(4), sentence_iris(4), MODEL, {}).save(tmp_path / "idx")
    meta_file = tmp_path / "idx" / META_FILE
    meta = json.loads(meta_file.read_text())
    meta["dimension"] = 768
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(IndexMismatch):
        VectorIndex.load(tmp_path / "idx")


def test_stable_ids_are_deterministic_63_bit_and_distinct() -> None:
    iris = sentence_iris(2000) + sentence_iris(2000, "b")
    ids = [stable_id(i) for i in iris]
    assert ids == [stable_id(i) for i in iris]
    assert all(0 <= i < 2**63 for i in ids)
    assert len(set(ids)) == len(ids)
    # Pinned: ids must not change between releases, or stored indexes lose their mapping.
    assert stable_id("https://healthkg.test/article/a/sentence/0") == 7874128912117972841
    assert stable_id("https://healthkg.test/article/a/sentence/0") != stable_id(
        "https://healthkg.test/article/a/sentence/1")


def test_a_sentence_keeps_its_id_across_builds_in_any_order() -> None:
    vectors, iris = unit_vectors(20), sentence_iris(20)
    first = VectorIndex.build(vectors, iris, MODEL, {})
    order = list(reversed(range(20)))
    second = VectorIndex.build(vectors[order], [iris[i] for i in order], MODEL, {})
    assert first.iris == second.iris
    grown = VectorIndex.build(np.concatenate([vectors, unit_vectors(5, seed=3)]),
                              iris + sentence_iris(5, "new"), MODEL, {})
    assert {k: v for k, v in grown.iris.items() if v in iris} == first.iris
    q = vectors[4:5]
    assert first.search(q, 1)[0][0] == second.search(q, 1)[0][0] == grown.search(q, 1)[0][0] == iris[4]


def test_build_refuses_duplicate_iris() -> None:
    with pytest.raises(ValueError):
        VectorIndex.build(unit_vectors(2), ["https://x.test/s/1"] * 2, MODEL, {})


def test_index_meta_fields() -> None:
    meta = VectorIndex.build(unit_vectors(3), sentence_iris(3), MODEL, {"a": "h"}).meta
    assert meta == IndexMeta(model=MODEL, dimension=DIM, count=3, kind="flat", normalized=True, corpus={"a": "h"})
