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
