"""SPARQL benchmark: one join + GROUP BY query, three ways, side by side.

1. raw pyoxigraph, in process (query + JSON serialisation);
2. our /sparql endpoint over HTTP (a real uvicorn subprocess, ``api.sparql``);
3. rdflib-endpoint over HTTP (rdflib's engine), from the bench venv only
   (``python -m venv .venv-bench && .venv-bench/bin/pip install -r bench/requirements.txt``).

Data are generated deterministically in the shape of the healthkg model (articles in
named graphs, sentences, reified claims). Raw pyoxigraph and our endpoint run on ~1M
triples; rdflib cannot load and join 1M triples in minutes, so the rdflib comparison
runs on a documented smaller size (``--small-articles``), with our endpoint measured at
that same size too, so each ratio compares like with like. Medians of repeated runs and
the two ratios go to ``bench/results/sparql.json``.

Usage: ``.venv/bin/python bench/sparql_bench.py`` from the repo root.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "sparql.json"
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
BASE = "https://healthkg.example.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
BL = "https://w3id.org/biolink/vocab/"
SCHEMA = "http://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
XSD_BOOL = "http://www.w3.org/2001/XMLSchema#boolean"

QUERY = f"""PREFIX rdf: <{RDF}>
PREFIX biolink: <{BL}>
PREFIX schema: <{SCHEMA}>
PREFIX prov: <{PROV}>
PREFIX dcterms: <{DCT}>
SELECT ?author (COUNT(?claim) AS ?claims)
WHERE {{
  ?claim rdf:predicate biolink:causes ;
         biolink:negated false ;
         prov:wasDerivedFrom ?sentence .
  ?sentence dcterms:isPartOf ?article .
  ?article schema:author ?author .
}}
GROUP BY ?author
ORDER BY DESC(?claims) ?author
LIMIT 20
"""

SENTENCES = 10  # per article, one claim each: 92 triples per article


# -- data ---------------------------------------------------------------------------------

def quads(articles: int, seed: int = 42) -> Iterator[str]:
    """N-Quads lines: ``articles`` article graphs (92 triples each), people, vocabulary."""
    rng = random.Random(seed)
    people, concepts = 300, 400
    vocab, folks = f"<{BASE}graph/vocabulary>", f"<{BASE}graph/people>"
    for c in range(concepts):
        yield f'<{BASE}concept/{c}> <{SCHEMA}name> "concept {c}" {vocab} .\n'
        yield f"<{BASE}concept/{c}> <{RDF}type> <http://www.w3.org/2004/02/skos/core#Concept> {vocab} .\n"
    for p in range(people):
        yield f'<{BASE}person/{p}> <{SCHEMA}name> "Person {p}" {folks} .\n'
        yield f"<{BASE}person/{p}> <{RDF}type> <{SCHEMA}Person> {folks} .\n"
    for a in range(articles):
        yield from _article(rng, a, people, concepts)


def _article(rng: random.Random, a: int, people: int, concepts: int) -> Iterator[str]:
    art = f"<{BASE}article/{a}>"
    yield f"{art} <{RDF}type> <{SCHEMA}Article> {art} .\n"
    yield f"{art} <{SCHEMA}author> <{BASE}person/{rng.randrange(people)}> {art} .\n"
    for s in range(SENTENCES):
        sent, claim = f"<{BASE}article/{a}/sentence/{s}>", f"<{BASE}article/{a}/claim/{s}>"
        yield f"{sent} <{RDF}type> <{NIF}Sentence> {art} .\n"
        yield f"{sent} <{DCT}isPartOf> {art} {art} .\n"
        yield f'{sent} <{NIF}anchorOf> "sentence {s} of article {a}" {art} .\n'
        predicate = rng.choice(("causes", "treats", "prevents", "causes"))
        negated = "true" if rng.random() < 0.3 else "false"
        yield f"{claim} <{RDF}type> <{BL}Association> {art} .\n"
        yield f"{claim} <{RDF}subject> <{BASE}concept/{rng.randrange(concepts)}> {art} .\n"
        yield f"{claim} <{RDF}predicate> <{BL}{predicate}> {art} .\n"
        yield f"{claim} <{RDF}object> <{BASE}concept/{rng.randrange(concepts)}> {art} .\n"
        yield f'{claim} <{BL}negated> "{negated}"^^<{XSD_BOOL}> {art} .\n'
        yield f"{claim} <{PROV}wasDerivedFrom> {sent} {art} .\n"


def write_nquads(path: Path, articles: int) -> int:
    """Write the data set; the number of quads."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for line in quads(articles):
            out.write(line)
            n += 1
    return n


def load_store(nquads: Path, store_dir: Path) -> None:
    """Bulk-load the N-Quads into a pyoxigraph store on disk."""
    import pyoxigraph as ox

    store = ox.Store(str(store_dir))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    del store


# -- the three contenders ----------------------------------------------------------------

def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """One warm-up call, then ``runs`` timed calls; the times and the last answer."""
    answer = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = fn()
        times.append(time.perf_counter() - start)
    return times, answer


def raw_pyoxigraph(store_dir: Path, runs: int) -> tuple[list[float], list[tuple[str, int]]]:
    """The query in process: run, serialise to SPARQL JSON, parse."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir))

    def run() -> list[tuple[str, int]]:
        results = store.query(QUERY, use_default_graph_as_union=True)
        return rows(results.serialize(format=ox.QueryResultsFormat.JSON))

    return timed(run, runs)


def over_http(url: str, runs: int) -> tuple[list[float], list[tuple[str, int]]]:
    """The query over HTTP: POST direct, SPARQL JSON back, parsed."""
    import httpx

    with httpx.Client(timeout=600) as client:
        def run() -> list[tuple[str, int]]:
            r = client.post(url, content=QUERY.encode(), headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json"})
            r.raise_for_status()
            return rows(r.content)

        return timed(run, runs)


def rows(body: bytes) -> list[tuple[str, int]]:
    """(author, count) pairs of a SPARQL JSON answer, to check the contenders agree."""
    data = json.loads(body)
    return [(b["author"]["value"], int(b["claims"]["value"])) for b in data["results"]["bindings"]]


# -- servers ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_from_env():  # noqa: ANN201 - uvicorn factory
    """uvicorn factory for our endpoint over $HEALTHKG_BENCH_STORE."""
    from api.settings import Settings
    from api.sparql import create_sparql_app
    from kg.engine import OxigraphEngine

    settings = Settings()
    engine = OxigraphEngine(os.environ["HEALTHKG_BENCH_STORE"], workers=settings.sparql_workers,
                            timeout=settings.sparql_timeout, max_rows=settings.sparql_max_rows)
    return create_sparql_app(settings, engine)


def start(cmd: list[str], env: dict[str, str], port: int, log: Path, ready: float) -> subprocess.Popen[bytes]:
    """Start a server subprocess and wait until its port answers HTTP."""
    import httpx

    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + ready
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def our_endpoint(store_dir: Path, runs: int, tmp: Path) -> tuple[list[float], list[tuple[str, int]]]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "HEALTHKG_BENCH_STORE": str(store_dir),
           "HEALTHKG_SPARQL_TIMEOUT": "600", "HEALTHKG_SPARQL_WORKERS": "1"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "bench.sparql_bench:app_from_env",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = start(cmd, env, port, tmp / f"ours-{port}.log", ready=60)
    try:
        return over_http(f"http://127.0.0.1:{port}/sparql", runs)
    finally:
        stop(proc)


def rdflib_endpoint(nquads: Path, runs: int, tmp: Path) -> tuple[list[float], list[tuple[str, int]]]:
    if not BENCH_PYTHON.exists():
        raise SystemExit("rdflib-endpoint needs the bench venv: python -m venv .venv-bench && "
                         ".venv-bench/bin/pip install -r bench/requirements.txt")
    port = free_port()
    cmd = [str(BENCH_PYTHON), str(Path(__file__).resolve()), "serve-rdflib", str(nquads), str(port)]
    proc = start(cmd, dict(os.environ), port, tmp / "rdflib.log", ready=600)
    try:
        return over_http(f"http://127.0.0.1:{port}/sparql", runs)
    finally:
        stop(proc)


def serve_rdflib(nquads: str, port: int) -> None:
    """(bench venv) rdflib-endpoint over an rdflib Dataset whose default graph is the union."""
    import uvicorn
    from rdflib import Dataset
    from rdflib_endpoint import SparqlEndpoint

    dataset = Dataset(default_union=True)
    dataset.parse(nquads, format="nquads")
    app = SparqlEndpoint(graph=dataset, path="/sparql", cors_enabled=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# -- driver -------------------------------------------------------------------------------

def measure(articles: int, runs: int, tmp: Path, with_rdflib: bool) -> dict[str, Any]:
    """Build one data set and time the contenders on it."""
    nquads, store_dir = tmp / f"data-{articles}.nq", tmp / f"store-{articles}"
    size = write_nquads(nquads, articles)
    load_store(nquads, store_dir)
    out: dict[str, Any] = {"triples": size}
    raw_t, raw_rows = raw_pyoxigraph(store_dir, runs)
    ours_t, ours_rows = our_endpoint(store_dir, runs, tmp)
    assert ours_rows == raw_rows, "our endpoint and pyoxigraph disagree"
    out["pyoxigraph"] = summary(raw_t)
    out["endpoint"] = summary(ours_t)
    if with_rdflib:
        lib_t, lib_rows = rdflib_endpoint(nquads, max(1, runs // 2), tmp)
        assert sorted(lib_rows) == sorted(raw_rows), "rdflib-endpoint disagrees"
        out["rdflib_endpoint"] = summary(lib_t)
    out["groups"] = len(raw_rows)
    return out


def summary(times: list[float]) -> dict[str, Any]:
    return {"median_s": statistics.median(times), "runs_s": [round(t, 5) for t in times]}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sparql-bench-") as tmp_name:
        tmp = Path(tmp_name)
        full = measure(args.articles, args.runs, tmp, with_rdflib=False)
        small = measure(args.small_articles, args.runs, tmp, with_rdflib=True)
    report = {
        "query": QUERY,
        "full": full,
        "small": small,
        "ratios": {
            "endpoint_over_pyoxigraph_full": full["endpoint"]["median_s"] / full["pyoxigraph"]["median_s"],
            "rdflib_endpoint_over_endpoint_small":
                small["rdflib_endpoint"]["median_s"] / small["endpoint"]["median_s"],
        },
        "notes": "full: raw pyoxigraph vs our endpoint; small: the same query at a size rdflib "
                 "can load, for rdflib-endpoint vs our endpoint (like with like).",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("ratios",)}, indent=2))
    print(f"full ({full['triples']} triples): pyoxigraph {full['pyoxigraph']['median_s']:.4f} s, "
          f"endpoint {full['endpoint']['median_s']:.4f} s")
    print(f"small ({small['triples']} triples): endpoint {small['endpoint']['median_s']:.4f} s, "
          f"rdflib-endpoint {small['rdflib_endpoint']['median_s']:.4f} s")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_870, help="~1M triples (92 per article)")
    parser.add_argument("--small-articles", type=int, default=1_087,
                        help="~100k triples: the size rdflib-endpoint is measured at")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per contender (rdflib: half)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-rdflib":
        serve_rdflib(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
