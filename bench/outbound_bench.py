"""What the outbound check (``kg.outbound.check_outbound``) costs per query, against the query.

For each query: the whole check as /sparql runs it (lexer, then rdflib's parse and algebra
walk, the second line against a lexer that missed a SERVICE), the lexer alone, and the query
itself in the embedded engine (one read-only worker, JSON results, read to the end). Medians
of repeated runs; the ratio is check / query. The queries are the YASGUI examples, a bare
ASK, and padded variants near 2 KB and at the 4 KB second-line limit (longer texts without a
keyword are not parsed again). The store is the SPARQL tests' fixture article, or ``--store``.

Usage: ``.venv/bin/python -m bench.outbound_bench [--store PATH] [--repeat N]``; writes
``bench/results/outbound.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "outbound.json"
JSON = "application/sparql-results+json"


def median_ms(func: Callable[[], Any], repeat: int) -> float:
    func()  # warm up (imports, first parse)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def queries() -> dict[str, str]:
    from api.sparql_examples import examples

    out = {"ASK {}": "ASK {}", "ASK ?s ?p ?o": "ASK { ?s ?p ?o }"}
    out.update({e.name: e.query for e in examples()})
    select = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(?o IN (%s)) } LIMIT 10"
    for size in (2000, 4000):
        values = []
        while len(select % ", ".join(values)) < size:
            values.append(f'"value {len(values)}"')
        out[f"SELECT with a {size // 1000} KB FILTER"] = select % ", ".join(values)
    return out


def run(store: Path, repeat: int) -> dict[str, Any]:
    from kg.engine import OxigraphEngine
    from kg.outbound import check_outbound, lexer_targets

    engine = OxigraphEngine(store, workers=1, timeout=60)
    rows = []
    try:
        for name, text in queries().items():
            check = median_ms(lambda t=text: check_outbound(t, update=False, base_iri="https://healthkg.example.org/"),
                              repeat)
            lexer = median_ms(lambda t=text: lexer_targets(t), repeat)
            query = median_ms(lambda t=text: engine.query(t, media_type=JSON).read(), repeat)
            rows.append({"query": name, "chars": len(text), "check_ms": round(check, 3),
                         "lexer_ms": round(lexer, 3), "query_ms": round(query, 3),
                         "check_per_query": round(check / query, 2)})
    finally:
        engine.close()
    return {"python": platform.python_version(), "machine": platform.machine(), "repeat": repeat,
            "store": str(store), "rows": rows,
            "median_check_per_query": statistics.median(r["check_per_query"] for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="an Oxigraph store directory (default: the test fixture)")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            from tests.sparql_support import make_fixture_store

            store = make_fixture_store(Path(tmp) / "store")
        report = run(store, args.repeat)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    width = max(len(r["query"]) for r in report["rows"])
    print(f"{'query':<{width}}  chars  check ms  lexer ms  query ms  check/query")
    for r in report["rows"]:
        print(f"{r['query']:<{width}}  {r['chars']:>5}  {r['check_ms']:>8.2f}  {r['lexer_ms']:>8.2f}  "
              f"{r['query_ms']:>8.2f}  {r['check_per_query']:>11.2f}")
    print(f"median check/query: {report['median_check_per_query']:.2f}  ({RESULTS.relative_to(REPO)})")


if __name__ == "__main__":
    main()
