"""The graph store: a small interface, and the embedded Oxigraph backend on disk.

Each article lives in its own named graph, named by the article's IRI. Writing an
article replaces that graph whole (one transaction); removing it drops the graph.
The vocabulary lives in a named graph of its own (:data:`VOCABULARY_GRAPH`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Graph, URIRef
from rdflib.plugins.serializers.nt import _nt_row
from rdflib.term import Node

from kg.engine import term_json
from kg.errors import HealthKGError

VOCABULARY_GRAPH = "https://w3id.org/healthkg/graph/vocabulary"
ONTOLOGY_GRAPH = "https://w3id.org/healthkg/graph/ontology"


class GraphStore(ABC):
    """Where article graphs live. Backends: :class:`OxigraphGraphStore`, ``kg.sparql_store``."""

    @abstractmethod
    def replace_graph(self, graph_iri: str, graph: Graph) -> None:
        """Replace the named graph ``graph_iri`` by ``graph``, all at once or not at all."""

    def replace_triples(self, graph_iri: str, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """:meth:`replace_graph` from the triples themselves (``kg.rdf.Triples``): a backend that
        takes N-Triples skips building an rdflib ``Graph``."""
        graph = Graph(identifier=URIRef(graph_iri))
        for triple in triples:
            graph.add(triple)
        self.replace_graph(graph_iri, graph)

    @abstractmethod
    def drop_graph(self, graph_iri: str) -> None:
        """Remove the named graph (no error when it is absent)."""

    @abstractmethod
    def graph_iris(self) -> set[str]:
        """The IRIs of the named graphs in the store."""

    @abstractmethod
    def count(self, graph_iri: str | None = None) -> int:
        """Number of triples in one named graph, or quads in the whole store."""

    @abstractmethod
    def select(self, query: str) -> list[dict[str, Any]]:
        """Run a SELECT over the union of the named graphs; rows as SPARQL-JSON term dicts."""

    def ask(self, query: str) -> bool:
        """Run an ASK over the union of the named graphs."""
        raise NotImplementedError

    def close(self) -> None:  # noqa: B027 - optional for backends holding nothing
        """Release the backend's resources."""


class OxigraphGraphStore(GraphStore):
    """Oxigraph on disk, written through ``oxrdflib`` and queried by Oxigraph's own engine."""

    def __init__(self, path: Path | str | None, read_only: bool = False, bulk: bool = False) -> None:
        """``bulk``: a store no one reads until its writer is done (a generation being built):
        graphs are written by Oxigraph's bulk loader, 3x faster than a transaction here and
        without one (a crash leaves part of a graph: the build then never publishes the store)."""
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self.bulk = bulk
        try:
            if path is None:
                self.ox = ox.Store()
            elif read_only:
                self.ox = ox.Store.read_only(str(path))
            else:
                self.ox = ox.Store(str(path))
        except OSError as exc:
            raise HealthKGError(f"cannot open the Oxigraph store at {path}: {exc}") from exc
        self.rdflib_store = OxigraphStore(store=self.ox)

    def rdflib_graph(self, graph_iri: str) -> Graph:
        """An rdflib view of one named graph, backed by this store."""
        return Graph(store=self.rdflib_store, identifier=URIRef(graph_iri))

    def replace_graph(self, graph_iri: str, graph: Graph) -> None:
        self._replace_nt(graph_iri, graph.serialize(format="nt", encoding="utf-8"))

    def replace_triples(self, graph_iri: str, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        self._replace_nt(graph_iri, "".join(_nt_row(t) for t in triples).encode("utf-8"))

    def _replace_nt(self, graph_iri: str, data: bytes) -> None:
        """Replace a graph by N-Triples. On this disk, per triple: the bulk loader 12-14 us, a
        load in one transaction 25-45 us, the same triples as one ``DROP`` + ``INSERT DATA``
        update 60-90 us (a ``MOVE`` of a staging graph is no faster). Outside bulk mode a new
        graph is one transactional load, an existing one is replaced by the one update, so a
        reader sees the old graph or the new one, never a part."""
        name = ox.NamedNode(graph_iri)  # validates the IRI before it is spliced below
        exists = self.ox.contains_named_graph(name)
        if self.bulk:
            if exists:
                self.ox.remove_graph(name)
            self.ox.bulk_load(data, ox.RdfFormat.N_TRIPLES, to_graph=name)
        elif not exists:
            self.ox.load(data, ox.RdfFormat.N_TRIPLES, to_graph=name)
        else:  # one update request is one transaction: the old graph is replaced whole or not at all
            self.ox.update(f"DROP SILENT GRAPH <{graph_iri}> ;\nINSERT DATA {{ GRAPH <{graph_iri}> {{\n"
                           f"{data.decode('utf-8')}}} }}")

    def drop_graph(self, graph_iri: str) -> None:
        name = ox.NamedNode(graph_iri)
        if self.ox.contains_named_graph(name):
            self.ox.remove_graph(name)

    def graph_iris(self) -> set[str]:
        return {g.value for g in self.ox.named_graphs() if isinstance(g, ox.NamedNode)}

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is None:
            return len(self.ox)
        return sum(1 for _ in self.ox.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)))

    def select(self, query: str) -> list[dict[str, Any]]:
        # Run and consume on this thread: oxigraph results are bound to their thread.
        solutions = self.ox.query(query, use_default_graph_as_union=True)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError("select() takes a SELECT query")
        names = [v.value for v in solutions.variables]
        return [
            {n: term_json(row[n]) for n in names if row[n] is not None} for row in solutions
        ]

    def ask(self, query: str) -> bool:
        return bool(self.ox.query(query, use_default_graph_as_union=True))

    def flush(self) -> None:
        self.ox.flush()

    def close(self) -> None:
        if self.path is not None:
            try:
                self.ox.flush()
            except (OSError, RuntimeError):  # a read-only store cannot flush
                pass
        del self.rdflib_store
        del self.ox
