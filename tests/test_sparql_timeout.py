"""A runaway query answers 503 within the limit plus one second, is really killed, and
the server keeps answering other requests meanwhile (limit 2 s, two workers)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.sparql_support import Server, cpu_seconds, slow_server

__all__ = ["slow_server"]

LIMIT = 2.0
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_runaway_query_is_cancelled_and_others_are_answered(slow_server: Server) -> None:
    before = set(slow_server.worker_pids())
    assert len(before) == 2
    outcome: dict[str, object] = {}

    def runaway() -> None:
        start = time.monotonic()
        r = httpx.get(slow_server.sparql, params={"query": RUNAWAY}, timeout=30)
        outcome.update(status=r.status_code, body=r.json(), seconds=time.monotonic() - start,
                       retry=r.headers.get("retry-after"))

    thread = threading.Thread(target=runaway)
    started = time.monotonic()
    thread.start()
    time.sleep(0.5)  # the runaway query is now burning a worker
    busy = cpu_seconds(list(before))
    health = httpx.get(f"{slow_server.url}/health", timeout=5)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    other = httpx.get(slow_server.sparql, params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                      timeout=5)
    assert other.status_code == 200
    assert other.json()["results"]["bindings"][0]["n"]["value"] == "3000"
    time.sleep(max(0.0, 1.5 - (time.monotonic() - started)))
    assert cpu_seconds(list(before)) - busy > 0.15, "the runaway query keeps burning CPU"
    thread.join(30)

    assert outcome["status"] == 503
    assert outcome["body"]["code"] == "query_timeout"  # type: ignore[index]
    assert outcome["seconds"] < LIMIT + 1.0
    assert outcome["retry"] is not None

    after = set(slow_server.worker_pids())
    killed = before - after
    assert len(killed) == 1, "the worker that ran the runaway query is gone"
    assert not Path(f"/proc/{killed.pop()}").exists()
    assert len(after) == 2, "a replacement worker was started"

    time.sleep(1.5)  # let the replacement finish starting, then CPU must be quiet
    start_cpu, workers = cpu_seconds(slow_server.worker_pids()), slow_server.worker_pids()
    time.sleep(1.0)
    assert cpu_seconds(workers) - start_cpu < 0.3, "CPU falls back once the query is killed"

    again = httpx.get(slow_server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=5)
    assert again.status_code == 200 and again.json()["boolean"] is True


def test_health_answers_while_all_workers_are_busy(slow_server: Server) -> None:
    threads = [threading.Thread(target=httpx.get, args=(slow_server.sparql,),
                                kwargs={"params": {"query": RUNAWAY}, "timeout": 30})
               for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    start = time.monotonic()
    assert httpx.get(f"{slow_server.url}/health", timeout=5).status_code == 200
    assert time.monotonic() - start < 1.0  # not held up until the queries time out
    for t in threads:
        t.join(30)
    r = httpx.get(slow_server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert r.status_code == 200


def test_queries_waiting_on_busy_workers_are_bounded_and_never_take_healths_threads() -> None:
    """One worker (three engine threads: workers + 2), one query allowed to wait: a fifth
    concurrent query is refused with 503 at once, and /health answers while the others are held."""
    from typing import Any

    from fastapi.testclient import TestClient

    from api.settings import Settings
    from api.sparql import create_sparql_app
    from kg.engine import QueryEngine, QueryOutcome

    release, entered = threading.Event(), threading.Semaphore(0)

    class HeldEngine(QueryEngine):
        def query(self, query: str, **kw: Any) -> QueryOutcome:
            entered.release()
            release.wait(30)
            return QueryOutcome("boolean", "application/sparql-results+json", iter([b'{"boolean": true}']))

        def update(self, update: str, **kw: Any) -> None:
            raise NotImplementedError

        def select(self, query: str) -> list[dict[str, Any]]:
            return []

    settings = Settings(sparql_workers=1, sparql_queue=1)
    with TestClient(create_sparql_app(settings, HeldEngine())) as client:
        def ask() -> int:
            return client.get("/sparql", params={"query": "ASK {}"}).status_code

        threads, codes = [], []
        for _ in range(4):  # three run in the engine, one waits
            t = threading.Thread(target=lambda: codes.append(ask()))
            t.start()
            threads.append(t)
        assert all(entered.acquire(timeout=10) for _ in range(3))
        time.sleep(0.3)  # the fourth is now waiting for a thread
        refused = client.get("/sparql", params={"query": "ASK {}"})
        assert refused.status_code == 503 and "busy" in refused.json()["message"]
        assert client.get("/health").status_code == 200
        release.set()
        for t in threads:
            t.join(10)
        assert sorted(codes) == [200, 200, 200, 200]
