"""Schemathesis over /openapi.json against the real server (`healthkg serve` on a free port).

Every operation is fuzzed (examples, coverage, fuzzing and stateful phases, a fixed seed):
no answer may be a 5xx, and each must have a documented status, a documented media type and
a body that fits its schema. At least 1000 cases run in total.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import Settings
from tests.paths import ROOT
from tests.support import ServeProcess, serving_seed

pytestmark = pytest.mark.slow

CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")
MIN_CASES = 1000


@pytest.fixture(scope="module")
def server(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serving_seed(seed_settings.data_dir, seed_settings.articles_dir,
                      tmp_path_factory.mktemp("fuzz") / "serve.log") as proc:
        yield proc


def run_schemathesis(url: str, workdir: Path, max_examples: int = 40, seed: int = 1) -> tuple[int, str, dict]:
    """`st run` as a user would, with our hooks (SPARQL bodies are text); exit code, output, JSON report."""
    report = workdir / "schemathesis.json"
    cmd = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json", "--checks", ",".join(CHECKS),
           "--max-examples", str(max_examples), "--seed", str(seed), "--workers", "1",
           "--generation-database", "none", "--no-color", "--request-timeout", "60",
           "--report", "json", "--report-json-path", str(report)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert report.exists(), output
    return done.returncode, output, json.loads(report.read_text())


def test_schemathesis_finds_nothing(server: ServeProcess, tmp_path: Path) -> None:
    code, output, report = run_schemathesis(server.url, tmp_path)
    log = server.log.read_text(errors="replace")
    assert code == 0 and not report["failures"] and not report["errors"], output[-8000:]
    assert report["operations"]["tested"] == report["operations"]["total"] >= 16, report["operations"]
    assert report["test_cases"]["generated"] >= MIN_CASES, report["test_cases"]
    assert report["test_cases"]["errored"] == 0, report["test_cases"]
    assert "Traceback" not in log and " 500 " not in log, log[-8000:]
