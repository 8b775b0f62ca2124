"""Build throughput: the Builder against raw ``SentenceTransformer.encode`` on the same sentences,
incremental rebuilds, graph loading (the build's path against pyoxigraph's bulk loader), SHACL.

Each function runs inside a ``bench.worker`` subprocess, so its peak RSS is its own.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import BASE_IRI, median, proc_status, timed


def _texts(corpus: Path) -> list[str]:
    from kg.article import article_files, load_article

    return [s.span.text for p in article_files(corpus) for s in load_article(p).sentences]


def full_builds(corpus: str, data_root: str, repeats: int, keep: str | None = None,
                prototype: bool = False) -> dict[str, Any]:
    """Median wall/CPU time of full builds (fresh data dir each) and of raw encode, interleaved;
    with ``prototype``, also of the prototype of the proposed build changes (see below)."""
    from api.build import BuildConfig, Builder
    from embeddings.encoder import Encoder

    encoder = Encoder()
    encoder.encode(["warm up the model"])
    encoder.model.encode(["warm up the baseline"])
    texts = _texts(Path(corpus))
    runs: dict[str, list[float]] = {"build_s": [], "build_cpu_s": [], "raw_s": [], "raw_cpu_s": []}
    contenders: list[tuple[str, Any]] = [("build", None)]  # (name, store factory)
    if prototype:
        runs.update(prototype_s=[], prototype_cpu_s=[])
        contenders.append(("prototype", bulk_store))
    reports: dict[str, Any] = {}
    peak_build = 0
    for r in range(repeats):
        for name, factory in contenders:
            data_dir = Path(data_root) / f"{name}-{r}"
            config = BuildConfig(Path(corpus), data_dir, BASE_IRI, validate=False, progress=False)
            wall, cpu, reports[name] = timed(lambda c=config, f=factory: Builder(c, encoder, store_factory=f).run())
            runs[f"{name}_s"].append(wall)
            runs[f"{name}_cpu_s"].append(cpu)
            if name == "build":
                peak_build = max(peak_build, proc_status().get("VmHWM", 0))
            if keep and name == "build" and r == repeats - 1:
                shutil.rmtree(keep, ignore_errors=True)
                shutil.move(str(data_dir), keep)
            shutil.rmtree(data_dir, ignore_errors=True)
        wall, cpu, _ = timed(lambda: encoder.model.encode(texts, batch_size=encoder.batch_size,
                                                          normalize_embeddings=True, convert_to_numpy=True))
        runs["raw_s"].append(wall)
        runs["raw_cpu_s"].append(cpu)
        wall, cpu, _ = timed(lambda: encoder.encode(texts))
        runs.setdefault("raw_backend_s", []).append(wall)
        runs.setdefault("raw_backend_cpu_s", []).append(cpu)
    return _build_summary(len(texts), reports, runs, peak_build, encoder.backend)


def _build_summary(n: int, reports: dict[str, Any], runs: dict[str, list[float]], peak: int,
                   backend: str) -> dict[str, Any]:
    report = reports["build"]
    rate = {k[:-2]: n / median(v) for k, v in runs.items() if not k.endswith("_cpu_s")}
    out = {"sentences": n, "articles": report.articles, "triples": report.triples, "claims": report.claims,
           "encoded_by_build": report.encoded, "runs": {k: [round(x, 3) for x in v] for k, v in runs.items()},
           "build_sentences_per_s": rate["build"], "raw_encode_sentences_per_s": rate["raw"],
           "ratio_build_over_raw": rate["build"] / rate["raw"],
           "ratio_build_over_raw_cpu": median(runs["raw_cpu_s"]) / median(runs["build_cpu_s"]),
           "build_peak_rss_mib": peak, "validate": False, "build_encoder_backend": backend,
           "raw_backend_sentences_per_s": rate["raw_backend"],
           "ratio_build_over_raw_backend": rate["build"] / rate["raw_backend"],
           "baseline": "raw = SentenceTransformer.encode (torch fp32); raw_backend = the build's own encoder alone"}
    if "prototype" in rate:
        assert reports["prototype"].triples == report.triples, "the prototype's store differs from the build's"
        out.update(prototype_sentences_per_s=rate["prototype"], ratio_prototype_over_raw=rate["prototype"] / rate["raw"],
                   speedup_prototype_over_build=rate["prototype"] / rate["build"])
    return out


def incremental(corpus: str, data_dir: str, repeats: int) -> dict[str, Any]:
    """Change one article (one sentence reworded, same sentence count), rebuild; repeat on others."""
    from api.build import BuildConfig, Builder
    from embeddings.encoder import Encoder
    from kg.article import article_files

    encoder = Encoder()
    encoder.encode(["warm up the model"])
    files = article_files(Path(corpus))
    times, encoded = [], []
    for r in range(repeats):
        path = files[(r * 97) % len(files)]
        text = path.read_text(encoding="utf-8")
        title, rest = text.split("\n\n", 1)
        path.write_text(title + "\n\n" + re.sub(r"\.", f", as of {2020 + r}.", rest, count=1), encoding="utf-8")
        config = BuildConfig(Path(corpus), Path(data_dir), BASE_IRI, validate=False, progress=False)
        wall, _, report = timed(lambda c=config: Builder(c, encoder).run())  # type: ignore[misc]
        times.append(wall)
        encoded.append(report.encoded)
    return {"runs_s": [round(t, 3) for t in times], "median_s": median(times), "encoded": encoded,
            "sentences": report.sentences}


def graph_loading(data_dir: str, repeats: int, replace_articles: int = 40) -> dict[str, Any]:
    """Triples/s into Oxigraph: the build's per-article path against the bulk loader, same triples.

    The build's path per article is: rdflib graph -> N-Triples text -> one SPARQL
    ``DROP GRAPH; INSERT DATA`` update. It is timed on the first ``replace_articles``
    articles (it is slow), both halves separately; the bulk loader loads the whole N-Quads dump.
    """
    import tempfile

    import pyoxigraph as ox

    from api.build import current_generation

    gen = current_generation(Path(data_dir))
    assert gen is not None
    src = ox.Store.read_only(str(gen / "store"))
    nquads = src.dump(format=ox.RdfFormat.N_QUADS)
    del src
    triples = nquads.count(b"\n")
    bulk, parse = [], []
    with tempfile.TemporaryDirectory(prefix="bench-ox-") as tmp:
        for r in range(repeats):
            store = ox.Store(f"{tmp}/bulk-{r}")
            t0 = time.perf_counter()
            store.bulk_load(nquads, ox.RdfFormat.N_QUADS)
            store.flush()
            bulk.append(time.perf_counter() - t0)
            del store
            parse.append(timed(lambda: sum(1 for _ in ox.parse(nquads, ox.RdfFormat.N_QUADS)))[0])
        per_article = _per_article_path(nquads, tmp, repeats, replace_articles)
    return {"triples": triples, "bulk_load_runs_s": [round(t, 3) for t in bulk],
            "bulk_load_triples_per_s": triples / median(bulk),
            "parse_only_triples_per_s": triples / median(parse), **per_article}


def _per_article_path(nquads: bytes, tmp: str, repeats: int, articles: int) -> dict[str, Any]:
    """Time the build's replace_graph path (rdflib serialise + INSERT DATA) on a few article graphs."""
    from rdflib import Dataset, URIRef

    from kg.store import OxigraphGraphStore

    chosen: dict[bytes, None] = {}
    lines = []
    for line in nquads.splitlines():
        graph = line.rsplit(b" ", 2)[-2]
        if b"/article/" not in graph or (graph not in chosen and len(chosen) >= articles):
            continue
        chosen.setdefault(graph)
        lines.append(line)
    ds = Dataset()
    ds.parse(data=b"\n".join(lines) + b"\n", format="nquads")
    graphs = [g for g in ds.graphs() if isinstance(g.identifier, URIRef) and "/article/" in str(g.identifier)]
    count = sum(len(g) for g in graphs)
    ser, upd = [], []
    for r in range(repeats):
        store = OxigraphGraphStore(Path(tmp) / f"replace-{r}")
        t_ser = t_upd = 0.0
        for g in graphs:
            t0 = time.perf_counter()
            data = g.serialize(format="nt", encoding="utf-8").decode("utf-8")
            t1 = time.perf_counter()
            iri = str(g.identifier)
            store.ox.update(f"DROP SILENT GRAPH <{iri}> ;\nINSERT DATA {{ GRAPH <{iri}> {{\n{data}}} }}")
            t_ser, t_upd = t_ser + t1 - t0, t_upd + time.perf_counter() - t1
        ser.append(t_ser)
        upd.append(t_upd)
        store.close()
    return {"replace_graph_articles": len(graphs), "replace_graph_triples": count,
            "replace_graph_serialise_triples_per_s": count / median(ser),
            "replace_graph_update_triples_per_s": count / median(upd),
            "replace_graph_triples_per_s": count / (median(ser) + median(upd))}


def shacl_sample(corpus: str, repeats: int) -> dict[str, Any]:
    """Seconds of the build's per-article SHACL validation, on the smallest article, repeated."""
    from kg.article import article_files, load_article
    from kg.extract import Extractor
    from kg.namespaces import Minter
    from kg.rdf import article_graph

    extractor, minter = Extractor.default(), Minter(BASE_IRI)
    article = min((load_article(p) for p in article_files(Path(corpus))), key=lambda a: len(a.sentences))
    graph = article_graph(article, extractor.extract(article, minter), minter)
    extractor.validate(graph)  # load shapes once
    times = [timed(lambda: extractor.validate(graph))[0] for _ in range(repeats)]
    return {"sentences": len(article.sentences), "triples": len(graph), "runs_s": [round(t, 3) for t in times],
            "sentences_per_s": len(article.sentences) / median(times)}


# -- a prototype of a proposed build change (measured against the Builder, same run) -------

class BulkLoadingStore:
    """Prototype store: article graphs are buffered as N-Quads and bulk-loaded in one call before
    the first read. Safe because a generation's store is private to its build until the rename."""

    def __init__(self, path: Path, previous: Path | None) -> None:
        from api.build import oxigraph_generation_store

        self.inner = oxigraph_generation_store(path, previous)
        self.pending: list[bytes] = []

    def replace_graph(self, graph_iri: str, graph: Any) -> None:
        self.inner.drop_graph(graph_iri)
        tail = f" <{graph_iri}> .".encode()
        nt = graph.serialize(format="nt", encoding="utf-8")
        self.pending.append(b"\n".join(line[:-2] + tail for line in nt.splitlines() if line) + b"\n")

    def _flush(self) -> None:
        import pyoxigraph as ox

        if self.pending:
            self.inner.ox.bulk_load(b"".join(self.pending), ox.RdfFormat.N_QUADS)
            self.pending = []

    def __getattr__(self, name: str) -> Any:
        self._flush()
        return getattr(self.inner, name)


def bulk_store(path: Path, previous: Path | None) -> Any:
    return BulkLoadingStore(path, previous)
