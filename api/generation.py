"""The layout of a generation directory, and the check that it is whole before it serves.

A build writes everything of one generation under ``DATA_DIR/generations/<id>/``::

    manifest.json       what was built (articles, counts, fingerprint) and FILES_KEY: the size
                        and BLAKE2b checksum of every other file below
    store/              the Oxigraph (RocksDB) store
    index/              vectors.faiss, vectors.json, vectors.ids.json (embeddings.index)
    lexical/            the BM25 index (embeddings.lexical)
    concepts/           vectors.npy and labels.json: the label vectors query linking uses
    view/               the materialised search rows (api.view)
    store-modified      written later by the first SPARQL update run on the generation

and ``DATA_DIR/current`` is a symlink to the generation being served. A server verifies
the sizes and checksums before it loads a generation (about 1.5 s per GiB on one core
of the development machine, page cache warm: bench/verify_bench.py), so a truncated or overwritten
file is refused by name instead of failing requests later.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CURRENT = "current"  # DATA_DIR/current -> generations/<id>
GENERATIONS = "generations"
MANIFEST = "manifest.json"
STORE_DIR = "store"
INDEX_DIR = "index"
LEXICAL_DIR = "lexical"
CONCEPTS_DIR = "concepts"
CONCEPT_VECTORS = "vectors.npy"  # in CONCEPTS_DIR
CONCEPT_LABELS = "labels.json"  # in CONCEPTS_DIR
VIEW_DIR = "view"
STORE_MODIFIED = "store-modified"  # written in a generation by the first SPARQL update run on it
STORE_WRITABLE = "store-writable"  # written by a server that opened the store read-write
FILES_KEY = "files"  # manifest key: {relative path: {"size": bytes, "blake2b": hex}}
TMP_PREFIX = ".tmp-"  # a generation being built (or removed): generations/.tmp-<id>
SERVING_LOCK = ".serving-{}.lock"  # generations/.serving-<id>.lock: shared-locked by each server serving <id>
CHUNK = 1 << 20


def generation_files(root: Path) -> Iterator[str]:
    """Every file of a generation, as a POSIX path relative to ``root``, sorted; not the
    manifest (it holds the checksums) nor the markers a server may write later."""
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            rel = Path(dirpath, name).relative_to(root).as_posix()
            if rel not in (MANIFEST, STORE_MODIFIED, STORE_WRITABLE):
                found.append(rel)
    yield from sorted(found)


def digest(path: Path) -> str:
    """The BLAKE2b checksum of one file (hex)."""
    h = hashlib.blake2b()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def file_checksums(root: Path) -> dict[str, dict[str, Any]]:
    """The manifest's ``files`` entry for a finished generation directory."""
    return {rel: {"size": (root / rel).stat().st_size, "blake2b": digest(root / rel)} for rel in generation_files(root)}


def verify(root: Path, files: dict[str, dict[str, Any]], skip: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The files of a generation that differ from its manifest: ``[{"file", "reason"}]``,
    empty when it is whole. Sizes are compared first (cheap), then checksums. Paths under
    a prefix in ``skip`` are not checked (a store a server opened read-write)."""
    problems: list[dict[str, str]] = []
    wanted = {rel: entry for rel, entry in files.items() if not rel.startswith(skip)}
    sizes: dict[str, int] = {}
    for rel, entry in sorted(wanted.items()):
        try:
            sizes[rel] = (root / rel).stat().st_size
        except OSError:
            problems.append({"file": rel, "reason": "missing"})
            continue
        if sizes[rel] != entry["size"]:
            problems.append({"file": rel, "reason": f"{sizes[rel]} bytes, the manifest says {entry['size']}"})
    if problems:
        return problems
    for rel, entry in sorted(wanted.items()):
        try:
            actual = digest(root / rel)
        except OSError as exc:
            problems.append({"file": rel, "reason": f"unreadable: {exc.strerror or exc}"})
            continue
        if actual != entry["blake2b"]:
            problems.append({"file": rel, "reason": "checksum differs from the manifest (changed after the build)"})
    return problems


class ServingLock:
    """A shared ``flock`` a server holds on the generation it serves, so that a build never
    removes it (see :func:`remove_generation`); released when the server moves on or exits."""

    def __init__(self, generation: Path) -> None:
        self._fh = open(generation.parent / SERVING_LOCK.format(generation.name), "a")  # noqa: SIM115
        fcntl.flock(self._fh, fcntl.LOCK_SH)

    def release(self) -> None:
        self._fh.close()


def remove_generation(generation: Path) -> bool:
    """Remove a generation unless a server holds its serving lock; whether it was removed.

    The directory is first renamed to a ``.tmp-`` name, so a build killed mid-way through
    the removal leaves no half-deleted generation that looks whole: the next build sweeps it."""
    lock = generation.parent / SERVING_LOCK.format(generation.name)
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        doomed = generation.parent / f"{TMP_PREFIX}removed-{generation.name}"
        os.rename(generation, doomed)
        lock.unlink()
    shutil.rmtree(doomed, ignore_errors=True)
    return True


def orphan_locks(gens: Path) -> Iterator[Path]:
    """Serving-lock files whose generation is gone (its server exited or moved on)."""
    prefix, suffix = SERVING_LOCK.split("{}")
    for lock in gens.glob(SERVING_LOCK.format("*")):
        if not (gens / lock.name[len(prefix):-len(suffix)]).is_dir():
            yield lock
