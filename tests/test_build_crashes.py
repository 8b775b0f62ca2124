"""Clean-up after crashes (issue 13, item 6): the next build removes what interrupted builds
left (temporary ``current`` symlinks, ``.tmp-*`` generations, temporary cache files,
abandoned generations), never the current generation nor one a server is serving; builds
SIGKILLed at staggered moments keep the disk footprint bounded and a whole generation current."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.build import CURRENT, GENERATIONS, KEEP_GENERATIONS, MANIFEST, current_generation
from api.generation import FILES_KEY, ServingLock, verify
from api.settings import Settings
from embeddings.encoder import Encoder
from tests.conftest import build_corpus
from tests.paths import BASE_IRI
from tests.support import cli_env, copy_corpus, generated_article, healthkg_command, primed_data_dir


@pytest.fixture
def data_dir(tmp_path: Path, seed_settings: Settings) -> Path:
    return primed_data_dir(tmp_path / "data", seed_settings.data_dir)


def build(articles: Path, data_dir: Path, encoder: Encoder) -> str:
    return build_corpus(articles, data_dir, encoder, validate=False).generation


def generations(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / GENERATIONS).iterdir() if p.is_dir() and not p.name.startswith("."))


def leftovers(data_dir: Path) -> dict[str, list[str]]:
    """Everything an interrupted build may leave behind, by kind."""
    cache = data_dir / "cache"
    tmp_files = sorted(str(p.relative_to(cache)) for pattern in ("*.tmp", "*.tmp.*", ".tmp-*")
                       for p in cache.rglob(pattern) if p.is_file())
    return {"links": sorted(p.name for p in data_dir.glob(f".{CURRENT}.*")),
            "tmp_generations": sorted(p.name for p in (data_dir / GENERATIONS).glob(".tmp-*")),
            "tmp_files": tmp_files}


def assert_whole(generation: Path) -> None:
    manifest = json.loads((generation / MANIFEST).read_text())
    assert verify(generation, manifest[FILES_KEY]) == [], generation


def disk_usage(root: Path) -> int:
    return sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def test_the_next_build_removes_what_interrupted_builds_left(tmp_path: Path, data_dir: Path,
                                                             encoder: Encoder) -> None:
    articles = copy_corpus(tmp_path / "articles")
    build(articles, data_dir, encoder)
    gens = data_dir / GENERATIONS
    os.symlink("generations/gone", data_dir / ".current.abc123")  # a switch killed before its rename
    os.symlink(os.readlink(data_dir / CURRENT), data_dir / ".current.def456")
    (gens / ".tmp-g1-abandoned" / "store").mkdir(parents=True)  # a build killed mid-way
    (gens / "g0-half-removed" / "index").mkdir(parents=True)  # a removal killed mid-way: no manifest
    vectors = next((data_dir / "cache" / "vectors").iterdir())
    planted = [vectors / "0123.abc123.tmp.npy", data_dir / "cache" / "view" / "a-b.abc123.tmp",
               data_dir / "cache" / "parse" / ".tmp-x1y2z3"]
    onnx = data_dir / "cache" / "onnx"
    onnx.mkdir(parents=True, exist_ok=True)
    old_export, live_export = onnx / "model.onnx.q1w2.tmp", onnx / "model.onnx.e3r4.tmp"
    for path in [*planted, old_export, live_export]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
    os.utime(old_export, (time.time() - 7200, time.time() - 7200))

    name = build(articles, data_dir, encoder)
    assert leftovers(data_dir) == {"links": [], "tmp_generations": [], "tmp_files": ["onnx/model.onnx.e3r4.tmp"]}
    assert not (gens / "g0-half-removed").exists() and live_export.exists()  # a server may be exporting it
    current = current_generation(data_dir)
    assert current is not None and current.name == name
    assert_whole(current)


def test_a_generation_being_served_is_never_pruned(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    articles = copy_corpus(tmp_path / "articles")
    build(articles, data_dir, encoder)
    served = current_generation(data_dir)
    assert served is not None
    lock = ServingLock(served)  # what a server holds on the generation it serves
    for _ in range(KEEP_GENERATIONS + 1):
        build(articles, data_dir, encoder)
    assert served in generations(data_dir) and len(generations(data_dir)) == KEEP_GENERATIONS + 1
    assert_whole(served)
    lock.release()
    build(articles, data_dir, encoder)
    assert served not in generations(data_dir) and len(generations(data_dir)) == KEEP_GENERATIONS


def test_a_server_holds_the_generation_it_serves(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    """The real state object: its generation survives builds until it reloads, then goes."""
    articles = copy_corpus(tmp_path / "articles")
    build(articles, data_dir, encoder)
    first = current_generation(data_dir)
    settings = Settings(articles_dir=articles, data_dir=data_dir, base_iri=BASE_IRI, sparql_workers=1,
                        reload_interval=3600)  # does not reload while the builds run
    with TestClient(create_app(settings, encoder=encoder)) as client:
        for _ in range(KEEP_GENERATIONS + 1):
            build(articles, data_dir, encoder)
        assert first in generations(data_dir)
        assert client.get("/search", params={"q": "dermal fillers", "k": 3}).status_code == 200
    build(articles, data_dir, encoder)
    assert first not in generations(data_dir)


def start_build(articles: Path, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(healthkg_command() + ["build", str(articles), "--quiet"],
                                env=cli_env(data_dir, articles), stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_builds_killed_at_staggered_moments_keep_the_footprint_bounded(tmp_path: Path, data_dir: Path,
                                                                       encoder: Encoder) -> None:
    articles = copy_corpus(tmp_path / "articles")
    build(articles, data_dir, encoder)
    one_generation = disk_usage(current_generation(data_dir))  # type: ignore[arg-type]
    log = tmp_path / "build.log"
    n = 0

    def change_corpus() -> None:  # every build has an article to extract and encode
        nonlocal n
        n += 1
        (articles / f"generated-{n:04d}.txt").write_text(generated_article(n, sentences=3))

    durations = []
    for _ in range(2):  # the first run also warms the OS caches: the second is what the kills divide
        change_corpus()
        start = time.monotonic()
        timed = start_build(articles, data_dir, log)
        assert timed.wait(300) == 0, log.read_text(errors="replace")
        durations.append(time.monotonic() - start)
    duration = min(durations)  # most of it start-up (imports, model); the build's own stages come last
    cache = disk_usage(data_dir / "cache")
    bound = (KEEP_GENERATIONS + 2) * 2 * one_generation + 2 * cache  # a few generations, one in the making
    killed, seen = 0, []
    for fraction in (0.3, 0.6, 0.75, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99, 1.01):
        before = current_generation(data_dir)
        change_corpus()
        started = time.monotonic()
        process = start_build(articles, data_dir, log)
        time.sleep(duration * fraction)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        else:  # the machine got quieter than when the duration was timed: the next kills divide this run
            duration = min(duration, time.monotonic() - started)
        process.wait(60)
        now = current_generation(data_dir)
        assert now is not None and (now == before or now.name > before.name)  # type: ignore[union-attr]
        assert_whole(now)
        left = leftovers(data_dir)
        seen.append(left)
        assert len(left["links"]) <= 1 and len(left["tmp_generations"]) <= 1 and len(left["tmp_files"]) <= 4, left
        assert len(generations(data_dir)) <= KEEP_GENERATIONS + 1
        assert disk_usage(data_dir) <= bound, (disk_usage(data_dir), bound)
    assert killed >= 4, "the builds ended before they could be killed: raise the fractions"
    assert any(left["tmp_generations"] for left in seen), f"no kill landed inside a build's own stages: {seen}"

    final = start_build(articles, data_dir, log)
    assert final.wait(300) == 0, log.read_text(errors="replace")
    assert leftovers(data_dir) == {"links": [], "tmp_generations": [], "tmp_files": []}
    assert len(generations(data_dir)) <= KEEP_GENERATIONS
    settings = Settings(articles_dir=articles, data_dir=data_dir, base_iri=BASE_IRI, sparql_workers=1)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        assert client.get("/health").json()["status"] == "ok"
        hits = client.get("/search", params={"q": f"treatment number {n * 100}", "k": 3}).json()["hits"]
        assert hits
