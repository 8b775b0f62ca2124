"""Shared helpers of the benchmarks: timing, medians, memory, workers in subprocesses."""

from __future__ import annotations

import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
BASE_IRI = "https://bench.healthkg.example.org/"
PYTHON = sys.executable


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank on the sorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def cpu_seconds() -> float:
    """CPU time of this process (user + system), robust to other load on the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, result) of one call."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, cpu_seconds() - c0, out


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in MiB; empty when it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        key = line.split(":", 1)[0]
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(line.split()[1]) // 1024
    return out


def children(pid: int) -> list[int]:
    """Direct and indirect child processes of ``pid``."""
    found, frontier = [], [pid]
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in stats.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def tree_memory(pid: int) -> dict[str, int]:
    """Peak RSS of a process and of it plus its children (a sum of peaks: an upper bound), MiB."""
    main = proc_status(pid).get("VmHWM", 0)
    kids = [proc_status(c).get("VmHWM", 0) for c in children(pid)]
    return {"main_peak_mib": main, "with_workers_peak_mib": main + sum(kids), "workers": len(kids)}


def machine() -> dict[str, Any]:
    import platform

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


STAGES: list[dict[str, Any]] = []  # every worker run of this process: task, seconds


def run_worker(task: str, args: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run ``bench.worker TASK`` in a fresh interpreter; its last stdout line is the JSON result."""
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run([PYTHON, "-m", "bench.worker", task, json.dumps(args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"bench worker {task} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    STAGES.append({"task": task, "seconds": round(time.perf_counter() - start, 1)})
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def write_json(name: str, data: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
