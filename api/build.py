"""The build: articles -> graph store + vector index, as one new generation.

This is the one place that drives both ``kg`` and ``embeddings``. A build writes a new
generation directory next to the current one and switches with one rename of the
``current`` symlink; a crash or SIGKILL before that leaves the previous generation
intact and serving. It is incremental: an article whose content hash, model and
extractor are unchanged is neither re-extracted nor re-encoded.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from api.generation import (
    CONCEPT_LABELS,
    CONCEPT_VECTORS,
    CONCEPTS_DIR,
    CURRENT,
    FILES_KEY,
    GENERATIONS,
    INDEX_DIR,
    LEXICAL_DIR,
    MANIFEST,
    STORE_DIR,
    STORE_MODIFIED,
    TMP_PREFIX,
    VIEW_DIR,
    file_checksums,
    orphan_locks,
    remove_generation,
)
from api.view import article_rows, write_view
from embeddings.encoder import Encoder
from embeddings.index import VectorIndex
from embeddings.lexical import LexicalIndex
from kg.article import MAX_SENTENCE_CHARS, Article, article_files, load_article, over_long_sentences
from kg.errors import ArticleError, HealthKGError
from kg.extract import Extractor
from kg.namespaces import HK, SKOS, Minter
from kg.rdf import article_triples, as_graph
from kg.store import GraphStore, OxigraphGraphStore
from kg.vocabulary import load_ontology_graphs

log = logging.getLogger("healthkg.build")

__all__ = ["CURRENT", "GENERATIONS", "MANIFEST", "BuildConfig", "BuildError", "BuildReport", "Builder",
           "build_lock", "current_generation", "read_manifest"]
KEEP_GENERATIONS = 3
# Largest article graph validated against the SHACL shapes: pyshacl costs about half a
# millisecond a triple (a 1 MB article's 450k triples: four minutes), the rest of the build
# a few microseconds. A larger graph is written unvalidated and reported.
SHACL_MAX_TRIPLES = 100_000


class BuildError(HealthKGError):
    code = "build_error"


@dataclass
class BuildReport:
    generation: str
    articles: int = 0
    sentences: int = 0
    triples: int = 0
    claims: int = 0
    encoded: int = 0  # sentences encoded (not taken from the cache)
    reused: int = 0
    labels_encoded: int = 0  # labels of minted concepts encoded (not taken from the cache)
    seconds: float = 0.0
    # {"file", "reason"} of each article skipped; an entry that also has "limit" (the setting's
    # name) reports a part of an article that built, cut or left out by that limit.
    errors: list[dict[str, Any]] = field(default_factory=list)
    violations: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        skipped = sum(1 for e in self.errors if "limit" not in e)
        failed = f", {skipped} failed" if skipped else ""
        limited = len(self.errors) - skipped
        failed += f", {limited} over a limit (see errors)" if limited else ""
        return (f"built {self.generation}: {self.articles} articles{failed}, {self.sentences} sentences, "
                f"{self.triples} triples, {self.claims} claims, {self.encoded} encoded "
                f"({self.reused} reused), {self.seconds:.1f} s")


def current_generation(data_dir: Path) -> Path | None:
    """The directory the ``current`` symlink points at, or None before the first build."""
    link = data_dir / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if (target / MANIFEST).exists() else None


def read_manifest(generation: Path | None) -> dict[str, Any]:
    if generation is None:
        return {}
    return json.loads((generation / MANIFEST).read_text())


@contextmanager
def build_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildError(f"another build is running on {data_dir}") from exc
        yield


@dataclass
class BuildConfig:
    articles_dir: Path
    data_dir: Path
    base_iri: str
    strict: bool = False
    validate: bool = True
    progress: bool = False
    max_sentence_chars: int = MAX_SENTENCE_CHARS  # HEALTHKG_MAX_SENTENCE_CHARS
    shacl_max_triples: int = SHACL_MAX_TRIPLES  # HEALTHKG_SHACL_MAX_TRIPLES


class Builder:
    """Runs one build. ``store_factory(path)`` opens the graph store of the new generation."""

    def __init__(self, config: BuildConfig, encoder: Encoder,
                 store_factory: Callable[[Path, Path | None], GraphStore] | None = None,
                 extractor: Extractor | None = None) -> None:
        self.config = config
        self.encoder = encoder
        self.store_factory = store_factory or oxigraph_generation_store
        self.extractor = extractor or Extractor.default(parse_cache=config.data_dir / "cache" / "parse")
        self.minter = Minter(config.base_iri)

    def run(self) -> BuildReport:
        start = time.perf_counter()
        with build_lock(self.config.data_dir):
            report = self._run()
        report.seconds = time.perf_counter() - start
        return report

    def _run(self) -> BuildReport:
        data_dir = self.config.data_dir
        gens = data_dir / GENERATIONS
        gens.mkdir(parents=True, exist_ok=True)
        clean_leftovers(data_dir)
        previous = current_generation(data_dir)
        old = read_manifest(previous)
        gen_id = new_generation_id(previous)
        tmp = gens / f"{TMP_PREFIX}{gen_id}"
        tmp.mkdir()
        report = BuildReport(gen_id)
        articles = self._load_articles(report)
        fingerprint = self._fingerprint()
        # A SPARQL update on the previous store is not carried over: the build is a function of
        # the articles, so after one the new generation starts from an empty store.
        reuse = old.get("fingerprint") == fingerprint and not (previous and (previous / STORE_MODIFIED).exists())
        # The encoder (native code, GIL released) runs beside the graph writing (Python): on two
        # cores the build then costs about the larger of the two, not their sum.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthkg-encode") as pool:
            encoded = pool.submit(self._encode_missing, articles)
            label_vectors = pool.submit(self._label_vectors)
            store = self.store_factory(tmp / STORE_DIR, (previous / STORE_DIR) if previous and reuse else None)
            try:
                entries = self._write_graphs(store, articles, old.get("articles", {}) if reuse else {}, report)
                if not reuse or not old:
                    load_ontology_graphs(store)
                report.triples = store.count()
                minted = self._minted_labels(store)
                write_view(tmp / VIEW_DIR, store, self._view_rows(store, articles, trust_cache=reuse),
                           {iri for iri, _ in self._labels()})
            finally:
                store.close()
            report.encoded = encoded.result()
            label_cache = label_vectors.result()
        index = self._build_index(articles, report)
        index.save(tmp / INDEX_DIR)
        LexicalIndex.build([s.span.text for a in articles for s in a.sentences],
                           [self.minter.sentence(a.slug, s.index) for a in articles for s in a.sentences]
                           ).save(tmp / LEXICAL_DIR)
        report.labels_encoded = self._save_concept_vectors(tmp / CONCEPTS_DIR, label_cache, minted)
        manifest = {"generation": gen_id, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "fingerprint": fingerprint, "model": self.encoder.model_id, "base_iri": self.config.base_iri,
                    "articles": entries, "errors": report.errors, "violations": report.violations,
                    "counts": {"articles": report.articles, "sentences": report.sentences,
                               "triples": report.triples, "claims": report.claims},
                    "index": {"kind": index.meta.kind, "count": index.meta.count},
                    FILES_KEY: file_checksums(tmp)}  # read back by every server before it serves (api.generation)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        _fsync_tree(tmp)
        final = gens / gen_id
        os.rename(tmp, final)
        _switch_current(data_dir, final)
        _prune(gens, keep=KEEP_GENERATIONS)
        return report

    def _fingerprint(self) -> dict[str, str]:
        return {"base_iri": self.config.base_iri, "extractor": self.extractor.fingerprint,
                "model": self.encoder.model_id, "max_sentence_chars": str(self.config.max_sentence_chars)}

    def _load_articles(self, report: BuildReport) -> list[Article]:
        directory = self.config.articles_dir
        if not directory.is_dir():
            raise BuildError(f"articles directory not found: {directory}")
        articles: list[Article] = []
        slugs: dict[str, str] = {}
        for path in article_files(directory):
            try:
                article = load_article(path, root=directory, max_sentence_chars=self.config.max_sentence_chars)
                if article.slug in slugs:
                    raise ArticleError(path.name, f"same IRI slug {article.slug!r} as {slugs[article.slug]}")
            except ArticleError as exc:
                if self.config.strict:
                    raise
                log.warning("skipped %s", exc.message)
                report.errors.append({"file": exc.path, "reason": exc.reason})
                continue
            slugs[article.slug] = path.name
            articles.append(article)
            self._report_over_long(article, report)
        return articles

    def _report_over_long(self, article: Article, report: BuildReport) -> None:
        """Each sentence the parse cut into pieces (kg.article.MAX_SENTENCE_CHARS): by file, with
        where it is, how long, and what became of it; the rest of the article builds as usual."""
        limit = self.config.max_sentence_chars
        for whole, pieces in over_long_sentences(article):
            first, last = pieces[0].index, pieces[-1].index
            reason = (f"sentence of {len(whole.text):,} characters exceeds HEALTHKG_MAX_SENTENCE_CHARS "
                      f"({limit:,}) at offset {whole.begin:,}: cut into {len(pieces):,} pieces "
                      f"(sentences {first}-{last}), searchable, mentions only, no claims read from it")
            log.warning("%s: %s", article.source_file, reason)
            report.errors.append({"file": article.source_file, "reason": reason, "limit": "HEALTHKG_MAX_SENTENCE_CHARS",
                                  "offset": whole.begin, "length": len(whole.text), "sentences": [first, last]})

    def _write_graphs(self, store: GraphStore, articles: list[Article], old: dict[str, Any],
                      report: BuildReport) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for article in articles:
            prev = old.get(article.slug)
            if prev and prev["hash"] == article.content_hash:
                entries[article.slug] = prev
            else:
                entries[article.slug] = self._write_article(store, article, report)
            report.articles += 1
            report.sentences += len(article.sentences)
            report.claims += entries[article.slug]["claims"]
        for slug, prev in old.items():
            if slug not in entries:
                store.drop_graph(prev["iri"])
        return entries

    def _write_article(self, store: GraphStore, article: Article, report: BuildReport) -> dict[str, Any]:
        iri = self.minter.article(article.slug)
        extraction = self.extractor.extract(article, self.minter)
        triples = article_triples(article, extraction, self.minter)
        if self.config.validate and len(triples) > self.config.shacl_max_triples:
            reason = (f"article graph of {len(triples):,} triples exceeds HEALTHKG_SHACL_MAX_TRIPLES "
                      f"({self.config.shacl_max_triples:,}): written without SHACL validation")
            log.warning("%s: %s", article.source_file, reason)
            report.errors.append({"file": article.source_file, "reason": reason, "limit": "HEALTHKG_SHACL_MAX_TRIPLES",
                                  "triples": len(triples)})
        elif self.config.validate:
            problems = self.extractor.validate(as_graph(triples, iri))
            if problems:
                report.violations[article.source_file] = problems
                log.warning("%s: %d SHACL violations", article.source_file, len(problems))
        store.replace_triples(iri, triples)
        return {"iri": iri, "file": article.source_file, "hash": article.content_hash,
                "sentences": len(article.sentences), "triples": len(triples), "claims": len(extraction.claims)}

    def _vector_cache(self) -> Path:
        cache = self.config.data_dir / "cache" / "vectors" / self.encoder.model_id.replace("/", "_")
        cache.mkdir(parents=True, exist_ok=True)
        return cache

    def _encode_missing(self, articles: list[Article]) -> int:
        """Encode the sentences of articles whose vectors are not cached yet; how many were encoded."""
        cache = self._vector_cache()
        missing = [a for a in articles if not (cache / f"{vectors_key(a)}.npy").exists()]
        texts = [s.span.text for a in missing for s in a.sentences]
        if not texts:
            return 0
        vectors = self.encoder.encode(texts, progress=self.config.progress)
        pos = 0
        for a in missing:
            _atomic_save_npy(cache / f"{vectors_key(a)}.npy", vectors[pos:pos + len(a.sentences)])
            pos += len(a.sentences)
        return len(texts)

    def _build_index(self, articles: list[Article], report: BuildReport) -> VectorIndex:
        """The index over every article's cached vectors (see :meth:`_encode_missing`)."""
        cache = self._vector_cache()
        parts, iris = [], []
        for a in articles:
            parts.append(np.load(cache / f"{vectors_key(a)}.npy"))
            iris += [self.minter.sentence(a.slug, s.index) for s in a.sentences]
        report.reused = len(iris) - report.encoded
        dim = self.encoder.dimension
        matrix = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)
        corpus = {self.minter.article(a.slug): a.content_hash for a in articles}
        return VectorIndex.build(matrix, iris, self.encoder.model_id, corpus)

    def _view_rows(self, store: GraphStore, articles: list[Article], trust_cache: bool) -> dict[str, dict[str, Any]]:
        """Every sentence's view row: read from the new store for articles written now (or all of
        them after a SPARQL update touched the previous store), from the cache for the others."""
        key = hashlib.sha256(json.dumps(self._fingerprint(), sort_keys=True).encode()).hexdigest()[:16]
        cache = self.config.data_dir / "cache" / "view" / key
        cache.mkdir(parents=True, exist_ok=True)
        rows: dict[str, dict[str, Any]] = {}
        stale: list[Article] = []
        for a in articles:
            path = cache / f"{a.slug}-{a.content_hash[7:]}.json"
            if trust_cache and path.exists():
                rows.update(json.loads(path.read_text()))
            else:
                stale.append(a)
        fresh = article_rows(store, [self.minter.sentence(a.slug, s.index) for a in stale for s in a.sentences])
        for a in stale:
            mine = {i: fresh[i] for s in a.sentences if (i := self.minter.sentence(a.slug, s.index)) in fresh}
            _atomic_write_text(cache / f"{a.slug}-{a.content_hash[7:]}.json", json.dumps(mine))
            rows.update(mine)
        return rows

    def _labels(self) -> list[tuple[str, str]]:
        """(concept IRI, label) for every label of the vocabulary, preferred and alternative."""
        return [(c.iri, label) for c in self.extractor.vocab.concepts.values() for label in (c.label, *c.alt_labels)]

    def _label_vectors(self) -> Path:
        """Vectors of every vocabulary label, for linking paraphrases in queries; cached per vocabulary."""
        key = f"{self.extractor.vocab.fingerprint}-{self.encoder.model_id}".replace("/", "_")
        cache = self.config.data_dir / "cache" / "concepts" / f"{key}.npy"
        cache.parent.mkdir(parents=True, exist_ok=True)
        if not cache.exists():
            _atomic_save_npy(cache, self.encoder.encode([label for _, label in self._labels()]))
        return cache

    def _minted_labels(self, store: GraphStore) -> list[tuple[str, str]]:
        """(concept IRI, label) of every concept the articles minted, so that a query can link
        'do vaccines cause autism' to concepts no vocabulary entry holds."""
        rows = store.select(f"""PREFIX skos: <{SKOS}> PREFIX hk: <{HK}>
            SELECT DISTINCT ?c ?l WHERE {{ ?c hk:minted true ; skos:prefLabel|skos:altLabel ?l }}""")
        vocabulary = self.extractor.vocab.concepts
        return sorted({(r["c"]["value"], r["l"]["value"]) for r in rows if r["c"]["value"] not in vocabulary})

    def _save_concept_vectors(self, directory: Path, cache: Path, minted: list[tuple[str, str]]) -> int:
        """The vocabulary's label vectors (cached per vocabulary) and the minted labels' (cached
        per label), row for row with labels.json; how many minted labels had to be encoded."""
        directory.mkdir()
        vectors = np.load(cache)
        encoded = 0
        if minted:
            extra, encoded = self._minted_vectors([label for _, label in minted])
            vectors = np.vstack([vectors, extra]).astype(vectors.dtype)
        _atomic_save_npy(directory / CONCEPT_VECTORS, vectors)
        (directory / CONCEPT_LABELS).write_text(json.dumps(self._labels() + minted))
        return encoded

    def _minted_vectors(self, labels: list[str]) -> tuple[np.ndarray, int]:
        cache = self.config.data_dir / "cache" / "minted-labels" / self.encoder.model_id.replace("/", "_")
        cache.mkdir(parents=True, exist_ok=True)
        paths = [cache / f"{hashlib.sha256(label.encode()).hexdigest()[:32]}.npy" for label in labels]
        missing = [i for i, p in enumerate(paths) if not p.exists()]
        if missing:
            for i, vector in zip(missing, self.encoder.encode([labels[i] for i in missing]), strict=True):
                _atomic_save_npy(paths[i], vector)
        return np.stack([np.load(p) for p in paths]), len(missing)


def oxigraph_generation_store(path: Path, previous: Path | None) -> GraphStore:
    """A new generation's embedded store: a checkpoint of the previous one, or empty; written in
    bulk mode (no server reads it before the build switches ``current`` to it)."""
    if previous is not None and previous.exists():
        old = OxigraphGraphStore(previous, read_only=True)
        try:
            old.ox.backup(str(path))
        finally:
            old.close()
    return OxigraphGraphStore(path, bulk=True)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def vectors_key(article: Article) -> str:
    """The vector cache's key for an article: its sentences themselves, so that a change of
    segmentation (a new healthkg) never pairs the article's old vectors with its new sentences."""
    return hashlib.sha256("\x00".join(s.span.text for s in article.sentences).encode("utf-8")).hexdigest()


def _atomic_save_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, path)


def _fsync_tree(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _switch_current(data_dir: Path, generation: Path) -> None:
    """Point ``current`` at ``generation`` with one atomic rename."""
    tmp_link = data_dir / f".{CURRENT}.{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(generation, data_dir), tmp_link)
    os.replace(tmp_link, data_dir / CURRENT)
    fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_generation_id(previous: Path | None) -> str:
    """A name that sorts after every earlier generation's, even for builds within one second."""
    now = time.time_ns()
    name = time.strftime("g%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}"
    if previous is not None and name <= previous.name:
        name = previous.name.split("-")[0] + "1"  # the clock went back: still sort after the previous one
    return f"{name}-{uuid.uuid4().hex[:6]}"


def _prune(gens: Path, keep: int) -> None:
    """Remove all but the newest ``keep`` generations, never the one ``current`` points at nor
    one a server is serving (:class:`api.generation.ServingLock`); a directory without a
    manifest (no build writes one so) is abandoned and goes whatever its age."""
    current = (gens.parent / CURRENT).resolve()
    done = sorted((p for p in gens.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    whole = [p for p in done if (p / MANIFEST).exists()]
    for old in [p for p in done if p not in whole] + whole[:-keep]:
        if old.resolve() != current and not remove_generation(old):
            log.info("kept generation %s: a server is serving it", old.name)


# Names of the temporary files the build's atomic writes leave when killed mid-way
# (``_atomic_save_npy``, ``_atomic_write_text``, the parse cache, the ONNX export).
_TMP_NAMES = ("*.tmp", "*.tmp.*", f"{TMP_PREFIX}*")
SHARED_CACHES = ("onnx",)  # cache directories a server may be writing into as well
SHARED_TMP_AGE = 3600.0  # seconds: a temporary file there this old belongs to no live writer


def clean_leftovers(data_dir: Path) -> None:
    """What interrupted builds left, removed (the build lock held): ``.current.*`` symlinks
    of a switch killed before its rename, ``.tmp-*`` generations, temporary files in the
    cache, serving locks of removed generations. In a cache a server also writes (the ONNX
    export) only temporary files older than :data:`SHARED_TMP_AGE` go."""
    for link in data_dir.glob(f".{CURRENT}.*"):
        if link.is_symlink():
            link.unlink()
    gens = data_dir / GENERATIONS
    for stale in gens.glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    for lock in orphan_locks(gens):
        with open(lock, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            lock.unlink()
    cache = data_dir / "cache"
    old = time.time() - SHARED_TMP_AGE
    for pattern in _TMP_NAMES:
        for path in cache.rglob(pattern):
            shared = path.relative_to(cache).parts[0] in SHARED_CACHES
            if path.is_file() and not path.is_symlink() and (not shared or path.stat().st_mtime < old):
                path.unlink(missing_ok=True)
