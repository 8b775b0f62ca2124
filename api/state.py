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

from api.build import MANIFEST, current_generation
from api.settings import Settings
from api.view import STORE_MODIFIED, GraphReader, LiveReader, View
from embeddings.encoder import Encoder
from embeddings.index import VectorIndex
from embeddings.lexical import LexicalIndex
from kg.engine import QueryEngine
from kg.errors import ServiceUnavailable

log = logging.getLogger("healthkg.state")


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
    """Holds the loaded generation; reloads it when the build switched ``current``."""

    def __init__(self, settings: Settings, encoder: Encoder, engine_factory: Any) -> None:
        self.settings = settings
        self.encoder = encoder
        self.engine_factory = engine_factory
        self.engine: QueryEngine | None = None
        self.generation: Generation | None = None
        self._lock = threading.Lock()
        self._checked = 0.0

    def refresh(self, force: bool = False) -> None:
        """Load the current generation if it changed since the last look."""
        now = time.monotonic()
        if not force and now - self._checked < self.settings.reload_interval:
            return
        with self._lock:
            self._checked = now
            path = current_generation(self.settings.data_dir)
            if path is None or (self.generation and self.generation.path == path):
                return
            manifest = json.loads((path / MANIFEST).read_text())
            index = VectorIndex.load(path / "index", model=self.encoder.model_id)
            lexical = LexicalIndex.load(path / "lexical")
            label_vectors = np.load(path / "concepts" / "vectors.npy")
            labels = [tuple(x) for x in json.loads((path / "concepts" / "labels.json").read_text())]
            if self.engine is None:
                self.engine = self.engine_factory(path / "store")
            else:
                self.engine.switch(path / "store")
            view = View.open(path) if self._view_usable(path) else None
            self.generation = Generation(path, manifest, index, lexical, label_vectors, labels, view)  # type: ignore[arg-type]
            log.info("serving generation %s (%d sentences)", self.generation.name, index.meta.count)

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
