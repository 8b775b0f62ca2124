"""Helpers and fixtures for the SPARQL tests: stores, a real uvicorn server, paths.

Test modules import the fixtures they use from here (``from tests.sparql_support import
sparql_server``); pytest picks them up as module-level names.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

REPO = Path(__file__).resolve().parents[1]
BASE = "https://healthkg.example.org/"
ARTICLE = f"{BASE}article/botox-hair-loss"
VOCABULARY = "https://w3id.org/healthkg/graph/vocabulary"
TOKEN = "test-token-123"


def shared_dir() -> Path:
    """The shared/ folder beside the repo (or $HEALTHKG_SHARED_DIR)."""
    env = os.environ.get("HEALTHKG_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


# A small article graph in the model of ontology/README.md.
_TEXT = ("Botox injections do not cause hair loss. Hair loss can be caused by genetics. "
         "Dr. Olivia Thompson is a dermatologist.")
_S0, _S1 = "Botox injections do not cause hair loss.", "Hair loss can be caused by genetics."
_B0, _B1 = _TEXT.index(_S0), _TEXT.index(_S1)

FIXTURE_TRIG = f"""
@prefix hk: <https://w3id.org/healthkg/ontology#> .
@prefix hkc: <https://w3id.org/healthkg/concept/> .
@prefix schema: <http://schema.org/> .
@prefix biolink: <https://w3id.org/biolink/vocab/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<{VOCABULARY}> {{
  hkc:botox-injection a skos:Concept, schema:MedicalProcedure ; skos:prefLabel "Botox injection"@en .
  hkc:hair-loss a skos:Concept, schema:MedicalCondition ; skos:prefLabel "hair loss"@en .
  hkc:genetics a skos:Concept, schema:MedicalCause ; skos:prefLabel "genetics"@en .
}}

<{ARTICLE}> {{
  <{ARTICLE}> a schema:Article ; schema:headline "Does Botox cause hair loss?" ;
      schema:author <{BASE}person/olivia-thompson> ; hk:hasText <{ARTICLE}/text> .
  <{ARTICLE}/text> a nif:Context ; nif:isString "{_TEXT}" .
  <{BASE}person/olivia-thompson> a schema:Person ; schema:name "Olivia Thompson" ;
      schema:honorificPrefix "Dr." ; schema:knowsAbout "medical dermatology", "Botox treatments" ;
      hk:yearsOfExperience 12 .
  <{ARTICLE}/sentence/0> a nif:Sentence ; nif:anchorOf "{_S0}" ;
      nif:beginIndex {_B0} ; nif:endIndex {_B0 + len(_S0)} ; dcterms:isPartOf <{ARTICLE}> .
  <{ARTICLE}/sentence/1> a nif:Sentence ; nif:anchorOf "{_S1}" ;
      nif:beginIndex {_B1} ; nif:endIndex {_B1 + len(_S1)} ; dcterms:isPartOf <{ARTICLE}> .
  <{ARTICLE}/claim/0> a biolink:Association, schema:Claim, rdf:Statement ;
      rdf:subject hkc:botox-injection ; rdf:predicate biolink:causes ; rdf:object hkc:hair-loss ;
      biolink:negated true ; hk:hedged false ; hk:certainty hk:Asserted ;
      biolink:supporting_text "{_S0}" ; prov:wasDerivedFrom <{ARTICLE}/sentence/0> .
  <{ARTICLE}/claim/1> a biolink:Association, schema:Claim, rdf:Statement ;
      rdf:subject hkc:genetics ; rdf:predicate biolink:causes ; rdf:object hkc:hair-loss ;
      biolink:negated false ; hk:hedged true ; hk:certainty hk:Possible ;
      biolink:supporting_text "{_S1}" ; prov:wasDerivedFrom <{ARTICLE}/sentence/1> .
}}
"""


def make_fixture_store(path: Path) -> Path:
    """An Oxigraph store on disk holding the fixture article and vocabulary graphs."""
    store = ox.Store(str(path))
    store.load(FIXTURE_TRIG.encode(), ox.RdfFormat.TRIG)
    store.flush()
    del store
    return path


def make_big_store(path: Path, triples: int = 3000) -> Path:
    """A store whose three-way cartesian product runs far longer than any test waits."""
    store = ox.Store(str(path))
    graph = ox.NamedNode(f"{BASE}article/big")
    pred = ox.NamedNode(f"{BASE}p")
    store.extend(ox.Quad(ox.NamedNode(f"{BASE}s/{i}"), pred, ox.Literal(i), graph)
                 for i in range(triples))
    store.flush()
    del store
    return path


def app_from_env():  # noqa: ANN201 - uvicorn factory
    """uvicorn factory: a SPARQL app over the store at $HEALTHKG_TEST_STORE."""
    from api.settings import Settings
    from api.sparql import create_sparql_app, oxigraph_engine

    settings = Settings()
    return create_sparql_app(settings, oxigraph_engine(settings, os.environ["HEALTHKG_TEST_STORE"]))


@dataclass
class Server:
    """A uvicorn subprocess serving :func:`app_from_env`; ``url`` is its base URL."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    def stop(self) -> None:
        """SIGTERM (graceful shutdown closes the engine), then SIGKILL if needed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def worker_pids(self) -> list[int]:
        """The pids of the server's query worker processes (spawned children)."""
        return [pid for pid in children_of(self.process.pid) if b"spawn_main" in _cmdline(pid)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by the live processes among ``pids``."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def start_server(store: Path, log: Path, **settings: str) -> Server:
    """Start uvicorn on a free port the way a user would, and wait until /health answers."""
    env = {**os.environ, "HEALTHKG_TEST_STORE": str(store), "PYTHONPATH": str(REPO)}
    env.update({f"HEALTHKG_{k.upper()}": v for k, v in settings.items()})
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "tests.sparql_support:app_from_env",
           "--host", "127.0.0.1", "--port", "0", "--log-level", "info", "--http", "h11"]  # as `healthkg serve`
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = re.search(r"Uvicorn running on (http://\S+)", log.read_text(errors="replace"))
        if match:
            server = Server(process, match.group(1), log)
            httpx.get(f"{server.url}/health", timeout=10).raise_for_status()
            return server
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"uvicorn did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def sparql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A read-only server over the fixture article (two workers, updates off)."""
    tmp = tmp_path_factory.mktemp("sparql")
    store = make_fixture_store(tmp / "store")
    server = start_server(store, tmp / "server.log", sparql_workers="2",
                          cors_origins='["https://researcher.example"]')
    yield server
    server.stop()


@pytest.fixture(scope="module")
def update_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A writable server (one worker) with updates enabled and a bearer token."""
    tmp = tmp_path_factory.mktemp("sparql-rw")
    store = make_fixture_store(tmp / "store")
    server = start_server(store, tmp / "server.log", update_enabled="true", update_token=TOKEN)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A read-only server with a 2 s query limit over a store big enough to run forever."""
    tmp = tmp_path_factory.mktemp("sparql-slow")
    store = make_big_store(tmp / "store")
    server = start_server(store, tmp / "server.log", sparql_timeout="2", sparql_workers="2")
    yield server
    server.stop()
