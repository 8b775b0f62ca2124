"""Helpers for the build, API and end-to-end tests: corpora, generations, subprocesses.

The session fixtures (``encoder``, ``seed_settings``) and ``build_corpus`` live in
``tests/conftest.py``; what is here is plain functions the test modules import.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.build import current_generation, read_manifest
from embeddings.index import VectorIndex
from kg.store import OxigraphGraphStore
from tests.paths import BASE_IRI, DATA, ROOT

VENV_BIN = Path(sys.executable).parent
HEALTHKG = VENV_BIN / "healthkg"
JSON_RESULTS = "application/sparql-results+json"

# Three small articles of tests/data: two plain-text, one Markdown.
SMALL_CORPUS = ("botox-vs-dermal-fillers.txt", "telogen-effluvium.md", "thyroid-iron-hair-loss.txt")


def copy_corpus(target: Path, names: tuple[str, ...] = SMALL_CORPUS) -> Path:
    """A fresh articles directory holding copies of ``names`` from tests/data."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(DATA / name, target / name)
    return target


def primed_data_dir(data_dir: Path, seed_data_dir: Path) -> Path:
    """A fresh data dir whose build cache starts as a copy of the seed build's cache.

    The cache is content-addressed (vectors per article hash and model, vocabulary label
    vectors per vocabulary and model), so a copy changes no result; it only spares each
    test re-encoding the vocabulary, which costs tens of seconds on a small CPU.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    if (seed_data_dir / "cache").is_dir():
        shutil.copytree(seed_data_dir / "cache", data_dir / "cache")
    return data_dir


def generated_article(n: int, sentences: int = 8) -> str:
    """A plain-text article in the seed's format, different for every ``n``."""
    body = " ".join(
        f"Patient group {n} sentence {i} reports that treatment number {n * 100 + i} "
        f"changes the outcome of condition {i} in {n + i} weeks." for i in range(sentences))
    return (f"Generated article number {n}\n\n{body}\n\nDr. Jane Doe\n"
            "dermatology, hair care\n\nDr. Jane Doe has 10 years of experience.\n")


def write_generated_corpus(target: Path, count: int, sentences: int = 8) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (target / f"generated-{n:04d}.txt").write_text(generated_article(n, sentences))
    return target


def prose_paragraphs() -> list[str]:
    """Body paragraphs of the plain-text test articles (real consumer-health prose)."""
    out = []
    for path in sorted(DATA.glob("*.txt")):
        blocks = [b.strip() for b in path.read_text(encoding="utf-8").split("\n\n")]
        out.extend(b for b in blocks[1:] if len(b) > 120 and b.endswith("."))
    return out


def long_article(size: int) -> str:
    """A plain-text article of about ``size`` characters: a title, then the test prose repeated
    (as ``bench/extract_scale.py`` makes them)."""
    parts, total, source = ["Hair Loss, Thyroid and Iron: A Long Guide"], 0, prose_paragraphs()
    while total < size:
        parts.append(source[len(parts) % len(source)])
        total += len(parts[-1]) + 2
    return "\n\n".join(parts) + "\n"


def run_on_line(size: int) -> str:
    """``size`` characters on one line with no full stop, as a table dumped to text: the test
    prose without its full stops, a cell marker ``| row N |`` every 40 words."""
    words = " ".join(p.replace(".", ",") for p in prose_paragraphs()).split()
    cells, total, n = [], 0, 0
    while total < size:
        cells.append(f"| row {n} | " + " ".join(words[(40 * n) % len(words):][:40]))
        total += len(cells[-1]) + 1
        n += 1
    return " ".join(cells)[:size - 1].rstrip().ljust(size - 1, "x") + "x"  # ends in a word: nothing stripped


@dataclass
class OpenedGeneration:
    """A built generation opened the way a reader would: manifest, index and store."""

    path: Path
    manifest: dict[str, Any]
    index: VectorIndex
    store: OxigraphGraphStore

    def close(self) -> None:
        self.store.close()


@contextmanager
def open_current(data_dir: Path, model: str | None = None) -> Iterator[OpenedGeneration]:
    """Open the generation ``current`` points at (read-only store, checked index)."""
    path = current_generation(data_dir)
    assert path is not None, f"no current generation in {data_dir}"
    gen = OpenedGeneration(path, read_manifest(path), VectorIndex.load(path / "index", model=model),
                           OxigraphGraphStore(path / "store", read_only=True))
    try:
        yield gen
    finally:
        gen.close()


def tmp_generations(data_dir: Path) -> list[Path]:
    """Leftover ``.tmp-*`` generation directories of an interrupted build."""
    gens = data_dir / "generations"
    return sorted(gens.glob(".tmp-*")) if gens.exists() else []


def cli_env(data_dir: Path, articles: Path | None = None, **settings: str) -> dict[str, str]:
    """The environment a user would give ``healthkg``: HEALTHKG_* settings, offline model."""
    # This checkout's code first: the console script imports whatever tree the venv's editable
    # install points at, which need not be the one under test (a shared venv, a git worktree).
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": path,
           "HEALTHKG_DATA_DIR": str(data_dir), "HEALTHKG_BASE_IRI": BASE_IRI}
    if articles is not None:
        env["HEALTHKG_ARTICLES_DIR"] = str(articles)
    env.update({f"HEALTHKG_{k.upper()}": v for k, v in settings.items()})
    return env


def healthkg_command() -> list[str]:
    """The console script when installed, else ``python -m api.cli``."""
    return [str(HEALTHKG)] if HEALTHKG.exists() else [sys.executable, "-m", "api.cli"]


def run_cli(args: list[str], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(healthkg_command() + args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@dataclass
class ServeProcess:
    """A ``healthkg serve`` subprocess; ``url`` is its base URL."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> int:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL if it hangs; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start_serve(env: dict[str, str], log: Path, timeout: float = 120) -> ServeProcess:
    """Start ``healthkg serve`` on port 0 (a free port) and wait until /health answers."""
    cmd = healthkg_command() + ["serve", "--host", "127.0.0.1", "--port", "0"]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(r"Uvicorn running on (http://\S+)", log.read_text(errors="replace"))
        if match:
            server = ServeProcess(process, match.group(1), log)
            _wait_health(server.url, deadline)
            return server
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    process.wait(5)
    raise AssertionError(f"healthkg serve did not start:\n{log.read_text(errors='replace')}")


@contextmanager
def serving_seed(data_dir: Path, articles_dir: Path, log: Path) -> Iterator[ServeProcess]:
    """The real server on the seed build, with one SPARQL worker, stopped afterwards."""
    proc = start_serve(cli_env(data_dir, articles_dir, sparql_workers="1"), log)
    try:
        yield proc
    finally:
        proc.stop()


def _wait_health(url: str, deadline: float) -> None:
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}/health never answered 200")
        time.sleep(0.2)


def assert_error_shape(response: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    """The response is the one JSON error shape {code, message, detail} with ``status``."""
    allowed = (status,) if isinstance(status, int) else status
    assert response.status_code in allowed, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "detail"}, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    return body
