"""The summary of a bench run: each target of issue 6 with its measured figure, a table, a plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _get(data: Any, *keys: Any) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _target(name: str, measured: Any, target: float, higher_is_better: bool, unit: str = "") -> dict[str, Any]:
    met = None if measured is None else (measured >= target if higher_is_better else measured <= target)
    return {"target": name, "measured": measured, "goal": f"{'>=' if higher_is_better else '<='} {target:g}{unit}",
            "met": met}


def summary(out: dict[str, Any], t: dict[str, float]) -> dict[str, Any]:
    build = out["build"]
    large = max((k for k in build if k.isdigit()), key=int)
    small = min((k for k in build if k.isdigit()), key=int)
    rows = [
        _target(f"build sentences/s over raw encode ({large} sentences, SHACL off)",
                _get(build, large, "ratio_build_over_raw"), t["build_ratio"], True),
        _target(f"build sentences/s over raw encode ({small} sentences, SHACL off)",
                _get(build, small, "ratio_build_over_raw"), t["build_ratio"], True),
        _target(f"  the build over its own encoder alone ({large}, {_get(build, large, 'build_encoder_backend')})",
                _get(build, large, "ratio_build_over_raw_backend"), t["build_ratio"], True),
        _target(f"  prototype: the build with graphs bulk-loaded, over raw ({small})",
                _get(build, small, "ratio_prototype_over_raw"), t["build_ratio"], True),
        _target("graph loading, bulk loader triples/s (10k build's store)",
                _get(build, "graph_loading", "bulk_load_triples_per_s"), t["bulk_triples_per_s"], True),
        _target("graph loading, bulk loader triples/s (1M store)",
                _get(out, "index", "1M", "store", "bulk_load_triples_per_s"), t["bulk_triples_per_s"], True),
        _target("graph loading, the build's replace_graph path triples/s",
                _get(build, "graph_loading", "replace_graph_triples_per_s"), t["bulk_triples_per_s"], True),
        _target("incremental rebuild, 1 article of 10k, fraction of full build",
                _get(build, "incremental", "fraction_of_full"), t["incremental_fraction"], False),
    ]
    small_sizes = {k: v for k, v in (_get(out, "index", "small") or {}).items() if k.isdigit()}
    for size, row in sorted(small_sizes.items(), key=lambda kv: int(kv[0])):
        rows.append(_target(f"recall@10 at {size} ({row['auto']['kind']})", row["auto"]["recall@10"], t["recall"], True))
    for name in ("100k", "1M"):
        auto = _get(out, "index", name, "auto")
        if auto:
            rows.append(_target(f"recall@10 at {name} ({auto['kind']})", auto["recall@10"], t["recall"], True))
    for mode in ("dense", "hybrid"):
        for where in ("in_process", "http"):
            for q, key in (("p50", "p50_ms"), ("p99", "p99_ms")):
                rows.append(_target(f"/search {mode} {q} at 1M, {where.replace('_', '-')}",
                                    _get(out, "search", "1M", where, mode, key), t[key], False, " ms"))
    one = next((n for n, row in out["search"].items() if "http_one_torch_thread" in row), None)
    if one:
        for mode in ("dense", "hybrid"):
            rows.append(_target(f"  /search {mode} p50 at {one}, http, server with OMP_NUM_THREADS=1",
                                _get(out, "search", one, "http_one_torch_thread", mode, "p50_ms"), t["p50_ms"], False,
                                " ms"))
            rows.append(_target(f"  /search {mode} p50 at {one}, http, server as shipped",
                                _get(out, "search", one, "http", mode, "p50_ms"), t["p50_ms"], False, " ms"))
    rows.append(_target("server peak RSS at 1M, with SPARQL workers (MiB)",
                        _get(out, "search", "1M", "http", "memory", "with_workers_peak_mib"), t["server_mib"], False))
    enc = out["encoder"]
    for name in (n for n in enc.get("speedup", {}) if n != enc.get("baseline")):
        ndcg = ", ".join(f"{v[name]:.3f} vs {v[enc['baseline']]:.3f}" for v in enc["ndcg@10"].values())
        rows.append({"target": f"encoder {name}: >= 1.5x {enc['baseline']} with nDCG@10 within 1%",
                     "measured": f"{enc['speedup'][name]:.2f}x, nDCG {ndcg}", "goal": "adopt if both",
                     "met": enc["adopted"][name]})
    return {"targets": rows, "figures": figures(out)}


def figures(out: dict[str, Any]) -> dict[str, Any]:
    """The series behind the plot: per size, latency and throughput."""
    series: dict[str, Any] = {"build": {}, "search": {}}
    for size, row in out["build"].items():
        if size.isdigit():
            series["build"][size] = {"build_sentences_per_s": row["build_sentences_per_s"],
                                     "raw_encode_sentences_per_s": row["raw_encode_sentences_per_s"],
                                     "peak_rss_mib": row["build_peak_rss_mib"]}
    for name, row in out["search"].items():
        series["search"][name] = {
            f"{where}_{mode}_{key}": _get(row, where, mode, key)
            for where in ("in_process", "http") for mode in ("dense", "hybrid")
            for key in ("p50_ms", "p99_ms", "requests_per_s") if _get(row, where, mode, key) is not None}
        series["search"][name]["server_peak_mib"] = _get(row, "http", "memory", "with_workers_peak_mib")
    return series


def table(summary: dict[str, Any]) -> str:
    lines = [f"{'target':70} {'measured':>22} {'goal':>12}  met"]
    for row in summary["targets"]:
        m = row["measured"]
        shown = f"{m:,.3f}" if isinstance(m, float) else str(m)
        met = {True: "yes", False: "NO", None: "n/a"}[row["met"]]
        lines.append(f"{row['target'][:70]:70} {shown[:40]:>22} {row['goal']:>12}  {met}")
    total = summary.get("total_s")
    if total is not None:
        lines.append(f"{'whole make bench (s)':70} {total:>22,.1f} {'<= 1800':>12}  {'yes' if total <= 1800 else 'NO'}")
    return "\n".join(lines)


SIZE_OF = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}


def plot(out: dict[str, Any], path: Path) -> None:
    """Latency (left) and throughput (right) against corpus size, log-log."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    names = [n for n in SIZE_OF if n in out["search"]]
    xs = [SIZE_OF[n] for n in names]
    for where, style in (("in_process", "-"), ("http", "--")):
        for mode, marker in (("dense", "o"), ("hybrid", "s")):
            for key in ("p50_ms", "p99_ms"):
                ys = [_get(out, "search", n, where, mode, key) for n in names]
                if all(y is not None for y in ys):
                    left.plot(xs, ys, style, marker=marker, label=f"{where.replace('_', '-')} {mode} {key[:3]}")
    left.axhline(10, color="grey", lw=0.8, ls=":")
    left.axhline(30, color="grey", lw=0.8, ls=":")
    left.set(xscale="log", yscale="log", xlabel="sentences", ylabel="/search latency (ms)",
             title="/search latency (targets at 1M: p50 10 ms, p99 30 ms)")
    left.legend(fontsize=7)
    builds = sorted((int(k), v) for k, v in out["build"].items() if k.isdigit())
    right.plot([k for k, _ in builds], [v["build_sentences_per_s"] for _, v in builds], "-o", label="build sentences/s")
    right.plot([k for k, _ in builds], [v["raw_encode_sentences_per_s"] for _, v in builds], "-o",
               label="raw encode sentences/s")
    for mode in ("dense", "hybrid"):
        ys = [_get(out, "search", n, "http", mode, "requests_per_s") for n in names]
        if all(y is not None for y in ys):
            right.plot(xs, ys, "--s", label=f"HTTP {mode} requests/s")
    right.set(xscale="log", yscale="log", xlabel="sentences", ylabel="per second", title="throughput")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
