"""/search latency: in process (the real app through TestClient) and over HTTP under load.

In process, each query is timed end to end (validation, encoder, index, SPARQL lookups,
JSON), and the encoder and index are also timed alone on the same queries. Over HTTP, the
real ``healthkg serve`` runs on a free loopback port and Debian's ``wrk`` drives it with a
fixed number of connections for a bounded time; when ``wrk`` is missing a small thread pool
of httpx clients does the same (and says so in the results).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.common import BASE_IRI, REPO, free_port, median, percentile, tree_memory


def probe(data_dir: str, queries: list[str], modes: list[str], repeats: int, budget_s: float = 20) -> dict[str, Any]:
    """In-process p50/p99 per mode (median over repeated passes), each step alone, and memory.

    Each mode gets ``budget_s`` seconds (a warm-up pass, then ``repeats`` timed passes sharing
    the rest); a pass stops at its share, so a slow size measures fewer requests, not longer.
    """
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(data_dir=Path(data_dir), base_iri=BASE_IRI))
    out: dict[str, Any] = {}
    with TestClient(app) as client:
        out["index"] = client.get("/health").json().get("index")
        for mode in modes:
            start = time.perf_counter()
            # warm: the encoder compiles kernels per input length on first sight
            _timed_pass(client, queries, mode, start + budget_s / (repeats + 1))
            passes = [_timed_pass(client, queries, mode, start + budget_s * (i + 2) / (repeats + 1))
                      for i in range(repeats)]
            passes = [p for p in passes if p[0]] or passes[:1]
            p50 = [percentile(lat, 50) * 1000 for lat, _ in passes]
            p99 = [percentile(lat, 99) * 1000 for lat, _ in passes]
            out[mode] = {"p50_ms": median(p50), "p99_ms": median(p99), "runs_p50_ms": [round(x, 2) for x in p50],
                         "runs_p99_ms": [round(x, 2) for x in p99], "errors": sum(e for _, e in passes),
                         "requests": sum(len(lat) for lat, _ in passes)}
        out["parts"] = _parts(app.state.hk, queries, time.perf_counter() + budget_s)
    out["memory"] = tree_memory(os.getpid())
    return out


def _timed_pass(client: Any, queries: list[str], mode: str, deadline: float) -> tuple[list[float], int]:
    """Latencies of the queries in order until ``deadline`` (at least one), and the non-200 count."""
    lat, errors = [], 0
    for q in queries:
        t0 = time.perf_counter()
        r = client.get("/search", params={"q": q, "mode": mode})
        lat.append(time.perf_counter() - t0)
        errors += r.status_code != 200
        if time.perf_counter() > deadline:
            break
    return lat, errors


def _parts(state: Any, queries: list[str], deadline: float) -> dict[str, Any]:
    """Median milliseconds of each step of a search alone, on the same queries: the encoder,
    the index, and each graph read (from the generation's view, or live SPARQL when the
    server reads the live graph; ``reader`` says which)."""
    from kg.errors import QueryTimeout

    gen, reader = state.current(), state.reader()
    steps: dict[str, list[float]] = {}
    timeouts: dict[str, int] = {}

    def step(name: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        try:
            result = fn()
        except QueryTimeout:  # the API would answer 503; counted at the timeout's length
            result = None
            timeouts[name] = timeouts.get(name, 0) + 1
        steps.setdefault(name, []).append(time.perf_counter() - t0)
        return result

    for q in queries:
        vector = step("encoder", lambda q=q: state.encoder.encode_query(q))
        iris = [i for i, _ in step("index", lambda v=vector: gen.index.search(v, 10))]
        step("graph_sentences", lambda i=iris: reader.sentences(i))
        step("graph_mentions", lambda i=iris: reader.mentions(i))
        step("graph_claims_of_hits", lambda i=iris: reader.claims_from_sentences(i))
        concepts = step("link_query", lambda q=q, v=vector: _linked(gen, state, q, v))
        if concepts:
            step("graph_claim_groups_of_query_concepts", lambda c=concepts: reader.claim_groups(c))
        if time.perf_counter() > deadline:
            break
    out: dict[str, Any] = {f"{k}_p50_ms": median(v) * 1000 for k, v in steps.items()}
    out.update({f"{k}_p99_ms": percentile(v, 99) * 1000 for k, v in steps.items()})
    out.update(queries=len(steps["encoder"]), timeouts=timeouts, reader=getattr(reader, "kind", "live"))
    return out


def _linked(gen: Any, state: Any, q: str, vector: Any) -> list[str]:
    """The concepts the answer step links in the query (when this version of the API has one)."""
    try:
        from api.answer import link_query
    except ImportError:
        return []
    return [c["iri"] for c in link_query(q, gen, state.encoder, vector)]


# -- over HTTP ---------------------------------------------------------------------------------

def start_server(data_dir: str, port: int, log: Path, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    exe = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "healthkg"
    cmd = [str(exe), "--data-dir", data_dir, "--base-iri", BASE_IRI, "serve", "--host", "127.0.0.1",
           "--port", str(port)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **(extra_env or {}))
    with open(log, "wb") as fh:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 300) -> float:
    import httpx

    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json().get("status") == "ok":
                return time.perf_counter() - start
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not become ready in time")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def http_load(data_dir: str, queries: list[str], modes: list[str], repeats: int, seconds: float,
              connections: int, tmp: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Start the real server, warm it, drive it per mode with wrk (or httpx threads); stop it."""
    import httpx

    port = free_port()
    proc = start_server(data_dir, port, tmp / f"server-{port}.log", env)
    out: dict[str, Any] = {"connections": connections, "seconds_per_run": seconds, "runs": repeats, "env": env or {}}
    try:
        out["ready_s"] = round(wait_ready(port, proc), 2)
        warm_until = time.perf_counter() + 15
        for q in queries:  # warm, as in process (at most 15 s)
            httpx.get(f"http://127.0.0.1:{port}/search", params={"q": q, "mode": "dense"}, timeout=60)
            if time.perf_counter() > warm_until:
                break
        out["generator"] = "wrk" if shutil.which("wrk") else "httpx-threads"
        for mode in modes:
            paths = [f"/search?{urllib.parse.urlencode({'q': q, 'mode': mode})}" for q in queries]
            runs = [_run_load(port, paths, seconds, connections, tmp) for _ in range(repeats)]
            out[mode] = {key: _median_or_none([r[key] for r in runs]) for key in ("p50_ms", "p99_ms", "requests_per_s")}
            out[mode]["errors"] = sum(r["errors"] for r in runs)
            out[mode]["runs"] = runs
        out["memory"] = tree_memory(proc.pid)
    finally:
        stop_server(proc)
    return out


def _median_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None


def _run_load(port: int, paths: list[str], seconds: float, connections: int, tmp: Path) -> dict[str, Any]:
    if shutil.which("wrk"):
        return _wrk(port, paths, seconds, connections, tmp)
    return _threads(port, paths, seconds, connections)


WRK_SCRIPT = """paths = {%s}
counter = math.random(#paths)
request = function()
  counter = counter %% #paths + 1
  return wrk.format("GET", paths[counter])
end
"""


def _wrk(port: int, paths: list[str], seconds: float, connections: int, tmp: Path) -> dict[str, Any]:
    script = tmp / "paths.lua"
    script.write_text(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "--latency",
           "-s", str(script), f"http://127.0.0.1:{port}"]
    text = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    dist = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", text, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    done = re.search(r"(\d+) requests in", text)
    if "50" not in dist or not done or int(done.group(1)) == 0:  # no request completed within the run
        return {"p50_ms": None, "p99_ms": None, "requests_per_s": 0.0, "errors": 0, "raw": text[-600:]}
    return {"p50_ms": _ms(dist["50"]), "p99_ms": _ms(dist["99"]),
            "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),  # type: ignore[union-attr]
            "errors": int(errors.group(1)) if errors else 0,
            **({"socket_errors": socket_errors.group(1)} if socket_errors else {})}  # type: ignore[dict-item]


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _threads(port: int, paths: list[str], seconds: float, connections: int) -> dict[str, float]:
    """Fallback load: ``connections`` threads, each a keep-alive httpx client, until the deadline."""
    import httpx

    lat: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            i = offset
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                r = client.get(paths[i % len(paths)])
                lat.append(time.perf_counter() - t0)
                errors[0] += r.status_code != 200
                i += connections

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000,
            "requests_per_s": len(lat) / seconds, "errors": errors[0]}


def serve_and_load(data_dir: str, queries: list[str], modes: list[str], repeats: int, seconds: float,
                   connections: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        return http_load(data_dir, queries, modes, repeats, seconds, connections, Path(tmp), env)
