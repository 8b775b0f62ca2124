"""What /search reads about the graph: live SPARQL, or the generation's materialised view.

A search dresses up to a few hundred hits with their sentence, article, author, concepts and
claims, and answers with the claims touching the query's concepts. Asked live, that is five
SPARQL round trips to a worker process per request, and the claim lookup grows with the
store. A generation is immutable, so the build also writes a *view*: the same rows, read by
the same queries (:mod:`api.graphdata`) from the generation's own store, kept in
memory-mapped tables keyed by IRI. Both readers answer the same five questions in the same
shapes (a test holds them equal on the test corpus), so search code does not know which one
it has.

The view is used only when the store cannot change under it: the embedded store with SPARQL
Update off, and no update ever run on this generation (an update leaves
:data:`STORE_MODIFIED` in the generation; the next build then starts from an empty store
and reads every article's rows afresh). Otherwise search reads the live graph.
"""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from api import graphdata
from api.generation import STORE_MODIFIED, VIEW_DIR

__all__ = ["STORE_MODIFIED", "VIEW_DIR", "GraphReader", "LiveReader", "Table", "View", "article_rows", "write_view"]
from embeddings.index import stable_id
from kg.engine import QueryEngine

CLAIM_LIMIT = 1000  # claims touching the query's concepts, as the live query's LIMIT
BATCH = 400  # IRIs per VALUES block when the build reads rows from the store


class GraphReader(Protocol):
    """The graph facts search needs, by IRI (see :mod:`api.graphdata` for the shapes)."""

    def sentences(self, iris: list[str]) -> dict[str, dict[str, Any]]: ...
    def mentions(self, iris: list[str]) -> dict[str, list[str]]: ...
    def concepts(self, iris: Iterable[str]) -> dict[str, dict[str, Any]]: ...
    def claims_from_sentences(self, iris: list[str]) -> list[dict[str, Any]]: ...
    def claim_groups(self, concepts: list[str]) -> list[dict[str, Any]]: ...


class LiveReader:
    """The live graph, through the query engine (or a store: anything with ``select``)."""

    kind = "live"

    def __init__(self, engine: QueryEngine) -> None:
        self.engine = engine

    def sentences(self, iris: list[str]) -> dict[str, dict[str, Any]]:
        return graphdata.sentences(self.engine, iris)

    def mentions(self, iris: list[str]) -> dict[str, list[str]]:
        return graphdata.mentions(self.engine, iris)

    def concepts(self, iris: Iterable[str]) -> dict[str, dict[str, Any]]:
        return graphdata.concepts(self.engine, iris)

    def claims_from_sentences(self, iris: list[str]) -> list[dict[str, Any]]:
        return graphdata.claims_from_sentences(self.engine, iris)

    def claim_groups(self, concepts: list[str]) -> list[dict[str, Any]]:
        """The claims touching ``concepts``, grouped (see :func:`api.graphdata.group_claims`)."""
        return graphdata.group_claims(graphdata.find_claims(self.engine, touching=concepts, limit=CLAIM_LIMIT))


# --------------------------------------------------------------------------------------
# Tables: sorted 63-bit keys (the index's stable ids), offsets, and one blob of compact
# JSON rows, memory-mapped.

class Table:
    """A read-only map from string keys to JSON values, memory-mapped from three files."""

    def __init__(self, directory: Path, name: str) -> None:
        self.keys = np.load(directory / f"{name}.keys.npy", mmap_mode="r")
        self.offsets = np.load(directory / f"{name}.offsets.npy", mmap_mode="r")
        with open(directory / f"{name}.bin", "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            self.blob: mmap.mmap | bytes = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if len(self.offsets) != len(self.keys) + 1 or int(self.offsets[-1]) != size:
            raise ValueError(f"view table {name} in {directory} is inconsistent")

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, key: str) -> Any | None:
        h = stable_id(key)
        i = int(np.searchsorted(self.keys, h))
        if i >= len(self.keys) or int(self.keys[i]) != h:
            return None
        stored, value = json.loads(self.blob[int(self.offsets[i]):int(self.offsets[i + 1])])
        return value if stored == key else None  # a 63-bit collision answers "absent", never a wrong row

    @staticmethod
    def write(directory: Path, name: str, items: Iterable[tuple[str, Any]]) -> int:
        """Write ``(key, value)`` pairs (keys unique); returns how many."""
        return Table.write_entries(directory, name, (encode_entry(k, v) for k, v in items))

    @staticmethod
    def write_entries(directory: Path, name: str, entries: Iterable[tuple[int, bytes]]) -> int:
        """Write entries already encoded by :func:`encode_entry` (keys unique); returns how many."""
        rows = sorted(entries, key=lambda r: r[0])
        keys = np.fromiter((h for h, _ in rows), dtype=np.int64, count=len(rows))
        if len(np.unique(keys)) != len(keys):
            raise ValueError(f"two keys of view table {name} hash alike")
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(b) for _, b in rows], out=offsets[1:])
        with open(directory / f"{name}.bin", "wb") as fh:
            for _, b in rows:
                fh.write(b)
        np.save(directory / f"{name}.keys.npy", keys)
        np.save(directory / f"{name}.offsets.npy", offsets)
        return len(rows)

    def entries(self) -> Iterator[tuple[str, bytes]]:
        """Every (key, encoded entry), in key-hash order."""
        for i in range(len(self.keys)):
            raw = bytes(self.blob[int(self.offsets[i]):int(self.offsets[i + 1])])
            yield json.loads(raw)[0], raw


def encode_entry(key: str, value: Any) -> tuple[int, bytes]:
    return stable_id(key), json.dumps([key, value], separators=(",", ":"), ensure_ascii=False).encode()


class View:
    """A generation's materialised rows: sentences (with mentions and claims), concepts, and
    the claim groups touching each concept."""

    kind = "view"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sentence_rows = Table(directory, "sentences")
        self.concept_rows = Table(directory, "concepts")
        self.group_rows = Table(directory, "claim_groups")
        self._concepts: dict[str, dict[str, Any]] | None = None

    @classmethod
    def open(cls, generation: Path) -> View | None:
        directory = generation / VIEW_DIR
        return cls(directory) if (directory / "claim_groups.keys.npy").exists() else None

    def _rows(self, iris: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        for iri in iris:
            row = self.sentence_rows.get(iri)
            if row is not None:
                yield iri, row

    def sentences(self, iris: list[str]) -> dict[str, dict[str, Any]]:
        keys = ("text", "offsets", "section", "article")
        return {iri: {k: row[k] for k in keys} for iri, row in self._rows(iris)}

    def mentions(self, iris: list[str]) -> dict[str, list[str]]:
        return {iri: row["mentions"] for iri, row in self._rows(iris) if row["mentions"]}

    def concepts(self, iris: Iterable[str]) -> dict[str, dict[str, Any]]:
        if self._concepts is None:  # a few thousand rows, asked for by every answer: decoded once
            self._concepts = {key: json.loads(raw)[1] for key, raw in self.concept_rows.entries()}
        known = self._concepts
        return {iri: dict(known[iri]) if iri in known else graphdata.concept_record(iri, None)
                for iri in sorted(set(iris))}

    def claims_from_sentences(self, iris: list[str]) -> list[dict[str, Any]]:
        return [c for _, row in self._rows(iris) for c in row["claims"]]

    def claim_groups(self, concepts: list[str]) -> list[dict[str, Any]]:
        """The claim groups stored under each concept, each once, in the order of their first claim."""
        found: dict[tuple[str, str, str], dict[str, Any]] = {}
        for concept in concepts:
            for group in self.group_rows.get(concept) or []:
                found.setdefault((group["subject"], group["predicate"], group["object"]), group)
        return sorted(found.values(), key=lambda g: g["first_claim"])


# --------------------------------------------------------------------------------------
# Writing, at build time.

def article_rows(store: Any, sentence_iris: list[str]) -> dict[str, dict[str, Any]]:
    """One article's sentence rows, read from the store by the live path's own queries."""
    live = LiveReader(store)
    rows: dict[str, dict[str, Any]] = {}
    for start in range(0, len(sentence_iris), BATCH):
        batch = sentence_iris[start:start + BATCH]
        info, mentioned = live.sentences(batch), live.mentions(batch)
        claims: dict[str, list[dict[str, Any]]] = {}
        for c in live.claims_from_sentences(batch):
            claims.setdefault(c["provenance"]["sentence"], []).append(c)
        for iri in batch:
            if iri in info:
                rows[iri] = {**info[iri], "mentions": sorted(mentioned.get(iri, [])),
                             "claims": sorted(claims.get(iri, []), key=lambda c: c["iri"])}
    return rows


def write_view(directory: Path, store: Any, rows: dict[str, dict[str, Any]], extra_concepts: Iterable[str]) -> dict[str, int]:
    """Write the three tables from every sentence row; concept rows are read from ``store``
    for every concept a row mentions or a claim touches, and ``extra_concepts`` (the labels
    a query can link)."""
    directory.mkdir(parents=True, exist_ok=True)
    by_concept: dict[str, dict[str, dict[str, Any]]] = {}
    wanted = set(extra_concepts)
    for row in rows.values():
        wanted.update(row["mentions"])
        for claim in row["claims"]:
            for concept in (claim["subject"], claim["object"]):
                by_concept.setdefault(concept, {})[claim["iri"]] = claim
                wanted.add(concept)
    concepts: dict[str, dict[str, Any]] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), BATCH):
        concepts.update(graphdata.concepts(store, ordered[start:start + BATCH]))
    counts = {"sentences": Table.write(directory, "sentences", rows.items()),
              "concepts": Table.write(directory, "concepts", concepts.items()),
              "claim_groups": Table.write(directory, "claim_groups", (
                  (c, graphdata.group_claims(claims[i] for i in sorted(claims))) for c, claims in by_concept.items()))}
    (directory / "view.json").write_text(json.dumps(counts, sort_keys=True))
    return counts
