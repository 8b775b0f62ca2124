"""The serving state: which generation is loaded, its index, and the query engine.

A build switches the ``current`` symlink; the app notices on the next request after
``reload_interval`` seconds and loads the new generation (index + engine) before it
drops the old one, so requests never see a half-built index.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from api.build import current_generation
from api.generation import (
    CONCEPT_LABELS,
    CONCEPT_VECTORS,
    CONCEPTS_DIR,
    FILES_KEY,
    GENERATIONS,
    INDEX_DIR,
    LEXICAL_DIR,
    MANIFEST,
    STORE_DIR,
    STORE_MODIFIED,
    STORE_WRITABLE,
    VIEW_DIR,
    ServingLock,
    verify,
)
from api.settings import Settings
from api.view import GraphReader, LiveReader, View
from embeddings.encoder import Encoder
from embeddings.index import VectorIndex
from embeddings.lexical import LexicalIndex
from kg.engine import QueryEngine
from kg.errors import HealthKGError, ServiceUnavailable

log = logging.getLogger("healthkg.state")


class GenerationRefused(ServiceUnavailable):
    """No generation on disk passed verification: nothing can be served."""

    code = "generation_refused"


def _serving_lock(generation: Path) -> ServingLock | None:
    try:
        return ServingLock(generation)
    except OSError as exc:  # a read-only data dir: served all the same, but builds cannot see it
        log.warning("cannot lock generation %s as served: %s", generation.name, exc)
        return None


class PartFailed(Exception):
    """One part of a generation (a path relative to it) failed to load."""

    def __init__(self, part: str, error: Exception) -> None:
        super().__init__(f"{part}: {error}")
        self.part, self.error = part, error


@dataclass
class Generation:
    path: Path
    manifest: dict[str, Any]
    index: VectorIndex
    lexical: LexicalIndex
    label_vectors: np.ndarray
    labels: list[tuple[str, str]]  # (concept IRI, label), row for row with label_vectors
    view: View | None = None  # the build's materialised rows; None when search must read the live graph

    @property
    def name(self) -> str:
        return str(self.manifest.get("generation", self.path.name))


class ServingState:
    """Holds the loaded generation; reloads it when the build switched ``current``.

    A generation is verified against its manifest's checksums (:mod:`api.generation`)
    before it loads; one that fails, or fails to load, is refused with a log line naming the
    file, the previous one keeps serving, and :meth:`problems` says why until ``current``
    moves on.
    """

    def __init__(self, settings: Settings, encoder: Encoder, engine_factory: Any) -> None:
        self.settings = settings
        self.encoder = encoder
        self.engine_factory = engine_factory
        self.engine: QueryEngine | None = None
        self.generation: Generation | None = None
        self._lock = threading.Lock()
        self._checked = 0.0
        self._refused: dict[Path, list[dict[str, str]]] = {}
        self._current: Path | None = None  # where ``current`` pointed at the last look
        self._serving: ServingLock | None = None  # keeps builds from removing the served generation

    def startup(self) -> None:
        """Load the current generation or, when it is refused, the newest earlier one that
        verifies; raises :class:`GenerationRefused` when generations exist and none can serve."""
        self.refresh(force=True)
        if self.generation is not None or self._current is None:
            return
        gens = self.settings.data_dir / GENERATIONS
        older = sorted((p for p in gens.iterdir() if p.is_dir() and not p.name.startswith(".")
                        and (p / MANIFEST).exists() and p != self._current), key=lambda p: p.name, reverse=True)
        for path in older:
            with self._lock:
                if self._try_load(path):
                    log.warning("serving the earlier generation %s: the current one, %s, was refused",
                                path.name, self._current.name)
                    return
        why = "; ".join(f"{p['file']}: {p['reason']}" for p in self._refused.get(self._current, []))
        raise GenerationRefused(f"no valid generation to serve in {self.settings.data_dir}: the current one, "
                                f"{self._current.name}, was refused ({why})")

    def refresh(self, force: bool = False) -> None:
        """Load the current generation if it changed since the last look. While one thread
        verifies and loads it, the others go on serving the loaded one."""
        now = time.monotonic()
        if not force and now - self._checked < self.settings.reload_interval:
            return
        if not self._lock.acquire(blocking=force or self.generation is None):
            return
        try:
            self._checked = now
            path = current_generation(self.settings.data_dir)
            self._current = path
            if path is None or path in self._refused or (self.generation and self.generation.path == path):
                return
            self._try_load(path)
        finally:
            self._lock.release()

    def problems(self) -> list[dict[str, str]]:
        """Why the generation ``current`` points at is not served (empty when it is)."""
        return list(self._refused.get(self._current, [])) if self._current is not None else []

    def _try_load(self, path: Path) -> bool:
        """Verify and load one generation (the lock held); refuse it, logged, on any failure."""
        lock = _serving_lock(path)
        try:
            try:
                manifest = json.loads((path / MANIFEST).read_text())
            except (OSError, ValueError) as exc:
                raise PartFailed(MANIFEST, exc) from exc
            problems = self._verify(path, manifest)
            if not problems:
                self.generation = self._load(path, manifest)
                if self._serving is not None:
                    self._serving.release()
                self._serving = lock
                log.info("serving generation %s (%d sentences)", self.generation.name, self.generation.index.meta.count)
                return True
        except BaseException as exc:
            if lock is not None:
                lock.release()
            if not isinstance(exc, PartFailed):
                raise
            error = exc.error
            message = error.message if isinstance(error, HealthKGError) else str(error)
            problems = [{"file": exc.part, "reason": f"{type(error).__name__}: {message or 'no message'}"}]
        else:
            if lock is not None:
                lock.release()
        self._refused[path] = [{"generation": path.name, **p} for p in problems]
        serving = self.generation.name if self.generation else "nothing"
        for p in problems:
            log.error("refused generation %s: %s: %s (still serving %s)", path.name, p["file"], p["reason"], serving)
        return False

    def _verify(self, path: Path, manifest: dict[str, Any]) -> list[dict[str, str]]:
        files = manifest.get(FILES_KEY)
        if files is None:
            log.warning("generation %s has no checksums (built by an earlier healthkg): loaded unverified", path.name)
            return []
        start = time.perf_counter()
        # A store a server opened read-write (updates on) is rewritten by RocksDB: not checked.
        writable = self.settings.update_enabled or any((path / m).exists() for m in (STORE_MODIFIED, STORE_WRITABLE))
        problems = verify(path, files, skip=(f"{STORE_DIR}/",) if writable else ())
        size = sum(int(e["size"]) for e in files.values())
        log.info("verified generation %s: %d files, %.1f MB in %.2f s", path.name, len(files), size / 1e6,
                 time.perf_counter() - start)
        return problems

    def _load(self, path: Path, manifest: dict[str, Any]) -> Generation:
        """Open every part; the engine last, so a failure leaves the previous one serving."""
        def at(part: str, load: Any) -> Any:
            try:
                return load()
            except Exception as exc:
                raise PartFailed(part, exc) from exc

        index = at(INDEX_DIR, lambda: VectorIndex.load(path / INDEX_DIR, model=self.encoder.model_id))
        lexical = at(LEXICAL_DIR, lambda: LexicalIndex.load(path / LEXICAL_DIR))
        label_vectors = at(f"{CONCEPTS_DIR}/{CONCEPT_VECTORS}", lambda: np.load(path / CONCEPTS_DIR / CONCEPT_VECTORS))
        labels = at(f"{CONCEPTS_DIR}/{CONCEPT_LABELS}", lambda: [
            tuple(x) for x in json.loads((path / CONCEPTS_DIR / CONCEPT_LABELS).read_text())])
        view = at(VIEW_DIR, lambda: View.open(path) if self._view_usable(path) else None)
        if self.settings.update_enabled and self.settings.store == "oxigraph":
            (path / STORE_WRITABLE).touch()
        if self.engine is None:
            self.engine = at(STORE_DIR, lambda: self.engine_factory(path / STORE_DIR))
        else:
            engine = self.engine
            at(STORE_DIR, lambda: engine.switch(path / STORE_DIR))
        return Generation(path, manifest, index, lexical, label_vectors, labels, view)

    def current(self) -> Generation:
        self.refresh()
        if self.generation is None:
            raise ServiceUnavailable(f"no index has been built in {self.settings.data_dir} yet; run `make index`")
        return self.generation

    def query_engine(self) -> QueryEngine:
        self.current()
        assert self.engine is not None
        return self.engine

    def reader(self) -> GraphReader:
        """The generation's view when the store cannot have changed since the build, else the live graph."""
        gen = self.current()
        return gen.view if gen.view is not None else LiveReader(self.query_engine())

    def _view_usable(self, generation: Path) -> bool:
        """Whether a generation's store is sure to match its view for as long as it is served."""
        return (self.settings.store == "oxigraph" and not self.settings.update_enabled
                and not (generation / STORE_MODIFIED).exists())

    def store_modified(self) -> None:
        """Called after a SPARQL update (only possible with updates on, when search already reads
        the live graph): marks the generation so no later server or build trusts its view."""
        gen = self.generation
        if gen is not None:
            (gen.path / STORE_MODIFIED).touch()

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
        if self._serving is not None:
            self._serving.release()
            self._serving = None
