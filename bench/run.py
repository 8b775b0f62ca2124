"""``make bench``: every benchmark of issue 6 in one run, under 30 minutes on 2 cores.

Writes ``bench/results/{build,encoder,index,search,summary}.json`` and ``scale.png`` and
prints a table of each target with its measured figure. Each heavy step runs in its own
``bench.worker`` process (fresh memory, its own peak RSS). Every figure is a median over
repeated runs; ratios compare against baselines measured in this same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, RESULTS, STAGES, log, machine, run_worker, write_json

TARGETS = {"build_ratio": 0.90, "bulk_triples_per_s": 300_000, "incremental_fraction": 0.05, "recall": 0.95,
           "p50_ms": 10.0, "p99_ms": 30.0, "server_mib": 2560, "budget_s": 1800}
SIZES = {"100k": 10, "1M": 100}  # copies of the 10k corpus


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sentences", type=int, nargs=2, default=[1_000, 10_000], help="the two full-build sizes")
    p.add_argument("--build-repeats", type=int, nargs=2, default=[3, 1],
                   help="full builds at each size (one at 10k: a 10k build takes minutes on 2 cores)")
    p.add_argument("--repeats", type=int, default=3, help="repeats of every other measurement")
    p.add_argument("--scaled", nargs="*", default=list(SIZES), choices=list(SIZES), help="derived sizes to serve")
    p.add_argument("--queries", type=int, default=30, help="queries per in-process latency run")
    p.add_argument("--load-seconds", type=float, default=6.0, help="length of one HTTP load run")
    p.add_argument("--one-thread-at", default="", help="also serve this size with OMP_NUM_THREADS=1 ('' = no)")
    p.add_argument("--connections", type=int, default=4, help="concurrent HTTP connections")
    p.add_argument("--with-sparql", action="store_true", help="also run bench/sparql_bench.py (adds minutes)")
    p.add_argument("--work", type=Path, help="work directory (default: a temporary one, removed)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="healthkg-bench-"))
    try:
        results = run_all(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    results["summary"]["total_s"] = round(time.perf_counter() - start, 1)
    results["summary"]["stages"] = STAGES
    finish(results)
    return 0


def run_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from bench.corpus import generate
    from bench.scale import query_texts

    small, large = args.sentences
    corpora = {n: work / f"corpus-{n}" for n in (small, large)}
    for n, path in corpora.items():
        generate(path, n)
    data10k = work / "data-large"
    queries = query_texts()[:args.queries]
    out: dict[str, Any] = {"machine_start": machine()}
    log("encoder: fp32 against int8")
    out["encoder"] = safe(lambda: run_worker("encoder", {"corpus": str(corpora[small]), "repeats": args.repeats,
                                                         "sentences": 400}))
    out["build"] = build_steps(args, corpora, data10k, work)
    log("index: choice and recall@10 at the small sizes")
    out["index"] = {"small": safe(lambda: run_worker("index_small", {"corpus": str(corpora[large]),
                                                                    "data_dir": str(data10k)}))}
    serving = {"10k": str(data10k)}
    for name in args.scaled:
        log(f"scaled generation {name}: derived vectors, index, bulk-loaded store")
        target = work / f"data-{name}"
        out["index"][name] = safe(lambda t=target, n=name: run_worker("scaled_generation", {  # type: ignore[misc]
            "corpus": str(corpora[large]), "data_dir": str(data10k), "out_dir": str(t),
            "copies": SIZES[n], "flat_latency": 20 if n == "1M" else 100}))
        if "error" not in out["index"][name]:
            serving[name] = str(target)
    out["search"] = search_steps(args, serving, queries)
    out["sparql"] = sparql(args.with_sparql)
    out["machine_end"] = machine()
    out["summary"] = summarise(out)
    return out


def build_steps(args: argparse.Namespace, corpora: dict[int, Path], data10k: Path, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    (small, large), (r_small, r_large) = args.sentences, args.build_repeats
    for n, repeats in ((small, r_small), (large, r_large)):
        log(f"full builds of {n} sentences x{repeats}, raw encode interleaved")
        out[str(n)] = run_worker("full_builds", {"corpus": str(corpora[n]), "data_root": str(work / "builds"),
                                                 "repeats": repeats, "prototype": n == small,
                                                 "keep": str(data10k) if n == large else None})
    log("graph loading: the build's path against the bulk loader")
    out["graph_loading"] = safe(lambda: run_worker("graph_loading", {"data_dir": str(data10k),
                                                                     "repeats": args.repeats}))
    log("incremental rebuilds: one article changed")
    inc = safe(lambda: run_worker("incremental", {"corpus": str(corpora[large]), "data_dir": str(data10k),
                                                  "repeats": args.repeats}))
    if "median_s" in inc:
        inc["fraction_of_full"] = inc["median_s"] / median_build(out[str(large)])
    out["incremental"] = inc
    log("SHACL validation sample")
    out["shacl"] = safe(lambda: run_worker("shacl", {"corpus": str(corpora[small]), "repeats": args.repeats}))
    return out


def safe(step: Any) -> dict[str, Any]:
    """A step's result, or its error (the run goes on: one failing size must not lose the others)."""
    try:
        return dict(step())
    except Exception as exc:  # noqa: BLE001 - recorded in the results and shown in the table
        log(f"step failed: {str(exc)[-800:]}")
        return {"error": str(exc)[-3000:]}


def median_build(result: dict[str, Any]) -> float:
    import statistics

    return float(statistics.median(result["runs"]["build_s"]))


def search_steps(args: argparse.Namespace, serving: dict[str, str], queries: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, data_dir in serving.items():
        log(f"/search at {name}: in process")
        row = {"in_process": safe(lambda d=data_dir: run_worker("probe", {  # type: ignore[misc]
            "data_dir": d, "queries": queries, "modes": ["dense", "hybrid"], "repeats": args.repeats}))}
        log(f"/search at {name}: over HTTP under load")
        load = {"data_dir": data_dir, "queries": queries, "modes": ["dense", "hybrid"], "repeats": args.repeats,
                "seconds": args.load_seconds, "connections": args.connections}
        row["http"] = safe(lambda ld=load: run_worker("http", ld))  # type: ignore[misc]
        if name == args.one_thread_at:
            log(f"/search at {name}: over HTTP, the server with OMP_NUM_THREADS=1")
            row["http_one_torch_thread"] = safe(lambda ld=load: run_worker("http", {  # type: ignore[misc]
                **ld, "modes": ["dense"], "env": {"OMP_NUM_THREADS": "1"}}))
        out[name] = row
    return out


def sparql(run: bool) -> dict[str, Any]:
    """bench/sparql_bench.py's results (another engineer's benchmark), run now or folded as found."""
    path = RESULTS / "sparql.json"
    if run:
        log("SPARQL benchmark (bench/sparql_bench.py)")
        subprocess.run([sys.executable, str(REPO / "bench" / "sparql_bench.py"), "--runs", "3"], cwd=REPO,
                       check=False, timeout=1200)
    if not path.exists():
        return {"status": "absent"}
    data = json.loads(path.read_text())
    data["status"] = "run now" if run else f"folded from {path.name} as found"
    return data


def summarise(out: dict[str, Any]) -> dict[str, Any]:
    from bench.report import summary

    return summary(out, TARGETS)


def finish(results: dict[str, Any]) -> None:
    from bench.report import plot, table

    for key in ("build", "encoder", "index", "search"):
        write_json(f"{key}.json", {key: results[key], "machine_start": results["machine_start"],
                                   "machine_end": results["machine_end"]})
    write_json("summary.json", {"summary": results["summary"], "sparql": results["sparql"],
                                "machine_start": results["machine_start"], "machine_end": results["machine_end"]})
    plot(results, RESULTS / "scale.png")
    print(table(results["summary"]))


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
