"""Cheap routes stay fast while SPARQL is saturated: the real server, 50 runaway queries (a sorted
cross product that only the timeout ends) holding every query worker and the wait queue, and
/health and /search answered meanwhile. Generous bounds (200 ms, 1 s): a regression test for
starvation (it was 10 s), not a benchmark; `python -m bench.load_bench` measures the figures."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from api.settings import Settings
from tests.support import cli_env, start_serve

RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 1"
RUNAWAYS = 50


def test_health_and_search_stay_fast_while_50_runaway_queries_run(seed_settings: Settings, tmp_path: Path) -> None:
    env = cli_env(seed_settings.data_dir, seed_settings.articles_dir, sparql_workers="2", sparql_timeout="8")
    server = start_serve(env, tmp_path / "serve.log")
    statuses: list[int] = []
    lock = threading.Lock()

    def runaway() -> None:
        try:
            status = httpx.post(f"{server.url}/sparql", data={"query": RUNAWAY}, timeout=120,
                                headers={"Accept": "application/sparql-results+json"}).status_code
        except httpx.HTTPError:
            status = 0
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=runaway, daemon=True) for _ in range(RUNAWAYS)]
    try:
        with httpx.Client(timeout=30) as client:
            client.get(f"{server.url}/search", params={"q": "warm up the encoder"}).raise_for_status()
            for t in threads:
                t.start()
            time.sleep(1.0)  # every runaway sent: two run, the queue holds some, the rest were refused
            in_flight = RUNAWAYS - len(statuses)
            health, search = [], []
            for i in range(20):
                start = time.perf_counter()
                assert client.get(f"{server.url}/health").status_code == 200
                health.append(time.perf_counter() - start)
                if i % 2 == 0:
                    start = time.perf_counter()
                    r = client.get(f"{server.url}/search", params={"q": f"does botox make your hair fall out {i}"})
                    assert r.status_code == 200 and r.json()["hits"], r.text
                    search.append(time.perf_counter() - start)
            still_running = RUNAWAYS - len(statuses)
        assert in_flight >= 2 and still_running >= 2, (in_flight, still_running, statuses)  # really under load
        health.sort()
        assert health[-2] < 0.2 and health[-1] < 1.0, [round(h * 1000) for h in health]
        assert max(search) < 1.0, [round(s * 1000) for s in search]
        for t in threads:
            t.join(120)
        assert set(statuses) <= {503}, statuses  # each runaway cancelled by the timeout or refused as busy
    finally:
        server.stop()
