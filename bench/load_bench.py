"""Cheap routes under SPARQL load, against the real server (issue 13, item 4).

Starts ``healthkg serve`` on a built data dir, measures ``/health`` and ``/search`` latency
unloaded, then again while ``--runaways`` concurrent runaway SPARQL queries (a sorted cross
product, cancelled by the timeout) hold every query worker and fill the wait queue, and
reports loaded / unloaded as ratios (p50 and p95). Writes ``bench/results/load.json``.

Run: ``python -m bench.load_bench [--data-dir D]`` (without one, the seed article is built
into a temporary directory first).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, machine, median, percentile, write_json

RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 1"
SEED = REPO.parent / "shared" / "corpus" / "botox-hair-loss.txt"
HEALTHKG = [sys.executable, "-m", "api.cli"]


def env_for(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "HEALTHKG_DATA_DIR": str(data_dir)}
    env.update({f"HEALTHKG_{k.upper()}": v for k, v in settings.items()})
    return env


def build_seed(root: Path) -> Path:
    articles = root / "articles"
    articles.mkdir(parents=True)
    shutil.copy(SEED, articles / SEED.name)
    subprocess.run(HEALTHKG + ["build", str(articles), "--quiet"], env=env_for(root / "data"), cwd=REPO,
                   check=True, capture_output=True)
    return root / "data"


def serve(data_dir: Path, log: Path, timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    with log.open("wb") as out:
        proc = subprocess.Popen(HEALTHKG + ["serve", "--port", "0"], cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env=env_for(data_dir, sparql_timeout=str(timeout)))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = re.search(r"Uvicorn running on (http://\S+)", log.read_text(errors="replace"))
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"healthkg serve did not start:\n{log.read_text(errors='replace')}")


def latencies(client: httpx.Client, url: str, samples: int) -> list[float]:
    out = []
    for i in range(samples):
        start = time.perf_counter()
        r = client.get(url, params={"q": f"does botox make your hair fall out {i % 3}", "k": 10}
                       if url.endswith("/search") else None)
        r.raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return out


def stats(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": round(median(values), 2), "p95_ms": round(percentile(values, 95), 2),
            "max_ms": round(max(values), 2) if values else float("nan")}


def runaway_load(url: str, count: int, statuses: list[int], done: threading.Event) -> list[threading.Thread]:
    remaining = [count]
    lock = threading.Lock()

    def one() -> None:
        try:
            r = httpx.post(f"{url}/sparql", data={"query": RUNAWAY}, timeout=120,
                           headers={"Accept": "application/sparql-results+json"})
            status = r.status_code
        except httpx.HTTPError:
            status = 0
        with lock:
            statuses.append(status)
            remaining[0] -= 1
            if remaining[0] == 0:
                done.set()

    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--runaways", type=int, default=50)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=10.0, help="HEALTHKG_SPARQL_TIMEOUT of the server")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="healthkg-load-"))
    proc = None
    try:
        data_dir = args.data_dir or build_seed(tmp)
        proc, url = serve(data_dir, tmp / "serve.log", args.timeout)
        with httpx.Client(timeout=60) as client:
            latencies(client, f"{url}/search", 5)  # warm: the encoder, the view
            idle = {name: latencies(client, f"{url}/{name}", args.samples) for name in ("health", "search")}
            statuses: list[int] = []
            done = threading.Event()
            start = time.monotonic()
            threads = runaway_load(url, args.runaways, statuses, done)
            time.sleep(1.0)  # every runaway sent: two run, the queue holds the rest, the others were refused
            loaded = {name: latencies(client, f"{url}/{name}", args.samples) for name in ("health", "search")}
            in_flight_after = args.runaways - len(statuses)
            window = time.monotonic() - start
            done.wait(args.timeout * (args.runaways + 2))
            for t in threads:
                t.join(1)
        out: dict[str, Any] = {
            "runaways": args.runaways, "sparql_timeout_s": args.timeout, "samples": args.samples,
            "unloaded": {k: stats(v) for k, v in idle.items()}, "loaded": {k: stats(v) for k, v in loaded.items()},
            "runaways_in_flight_after_sampling": in_flight_after, "sampling_window_s": round(window, 2),
            "runaway_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
            "machine": machine()}
        out["ratio"] = {name: {"p50": round(out["loaded"][name]["p50_ms"] / out["unloaded"][name]["p50_ms"], 2),
                               "p95": round(out["loaded"][name]["p95_ms"] / out["unloaded"][name]["p95_ms"], 2)}
                        for name in ("health", "search")}
        path = write_json("load.json", out)
        print(f"wrote {path}: ratio {out['ratio']}, loaded {out['loaded']}")
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
