"""The query worker pool keeps its size and logs every change (issue 13, item 3): once, after a
long stress run, the pool held 1 worker instead of 2 with nothing logged."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import pytest

from kg.engine import OxigraphEngine
from tests.sparql_support import make_fixture_store

JSON = "application/sparql-results+json"


def _live(engine: OxigraphEngine) -> set[int]:
    return {w.process.pid for w in engine._workers if w.process.is_alive()}


def test_a_killed_worker_is_replaced_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="healthkg.engine")
    eng = OxigraphEngine(make_fixture_store(tmp_path / "store"), workers=2, timeout=30)
    try:
        started = [r for r in caplog.records if "started" in r.getMessage()]
        assert [r.getMessage().rsplit(": ", 1)[1] for r in started] == ["pool 1 of 2", "pool 2 of 2"]
        before = _live(eng)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        time.sleep(0.5)
        for _ in range(2):  # the idle queue is FIFO: one of these two meets the dead worker
            assert eng.query("ASK { ?s ?p ?o }", media_type=JSON).read() == b'{"head":{},"boolean":true}'
        after = _live(eng)
        assert victim not in after and len(after) == 2 and len(eng._workers) == eng.size == 2
        messages = [r.getMessage() for r in caplog.records]
        assert f"query worker {victim} died (generation 0): pool 1 of 2, replacing it" in messages
        assert any(m.startswith("query worker ") and m.endswith("started (generation 0): pool 2 of 2")
                   and str(victim) not in m for m in messages[-3:])
        assert not any(r.levelno >= logging.ERROR for r in caplog.records)
    finally:
        eng.close()
