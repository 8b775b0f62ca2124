"""Virtuoso open source (Debian's ``virtuoso-opensource``) for the tests, and the backends fixture.

:class:`VirtuosoServer` runs ``virtuoso-t +foreground`` on loopback with its own database
directory and free ports, creates a SPARQL user with the ``SPARQL_UPDATE`` role, and can
be stopped, killed and started again on the same ports and directory. Queries go to the
anonymous, read-only ``/sparql``; updates to ``/sparql-auth`` with HTTP Digest auth.

Test modules import the fixtures they use (``from tests.virtuoso import virtuoso``).
Without ``virtuoso-t`` the fixtures fail (never skip): install it with ``.ci/virtuoso.sh``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.remote_engine import RemoteEngine
from kg.sparql_store import SparqlGraphStore
from kg.store import GraphStore, OxigraphGraphStore

USER = "healthkg"
PASSWORD = "healthkg-test-password"
BACKENDS = ("oxigraph", "virtuoso")
INSTALL_HINT = ("virtuoso-t is not installed; the remote-store tests need Virtuoso open source from "
                "Debian's packages: `apt-get install -y virtuoso-opensource` (see .ci/virtuoso.sh)")

_running: set[subprocess.Popen[bytes]] = set()


def virtuoso_binaries() -> tuple[str, str]:
    """Paths of ``virtuoso-t`` and its isql; fails the test (in CI or not) when missing."""
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql-v")
    if not server or not isql:
        where = " (CI=true)" if os.environ.get("CI") == "true" else ""
        pytest.fail(INSTALL_HINT + where, pytrace=False)
    return server, isql


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


INI = """\
[Database]
DatabaseFile = {root}/virtuoso.db
ErrorLogFile = {root}/virtuoso.log
LockFile = {root}/virtuoso.lck
TransactionFile = {root}/virtuoso.trx
xa_persistent_file = {root}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {root}/virtuoso-temp.db
TransactionFile = {root}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
DirsAllowed = ., {root}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {root}/vsp
MaxClientConnections = 10
ServerThreads = 10
EnabledDavVSP = 0
EnabledGzipContent = 0
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 400
"""


class VirtuosoServer:
    """One ``virtuoso-t`` process over a database directory of its own."""

    def __init__(self, root: Path) -> None:
        self.server_bin, self.isql_bin = virtuoso_binaries()
        self.root = root
        self.sql_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.sql_port:
            self.http_port = free_port()
        (root / "vsp").mkdir(parents=True, exist_ok=True)
        self.ini = root / "virtuoso.ini"
        self.ini.write_text(INI.format(root=root, sql_port=self.sql_port, http_port=self.http_port))
        self.process: subprocess.Popen[bytes] | None = None
        self._user_created = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_endpoint(self) -> str:
        return f"{self.base_url}/sparql"

    @property
    def update_endpoint(self) -> str:
        return f"{self.base_url}/sparql-auth"

    def version(self) -> str:
        out = subprocess.run([self.server_bin, "-?"], capture_output=True, text=True, check=False)
        return next((line.strip() for line in (out.stdout + out.stderr).splitlines()
                     if line.startswith("Version")), "unknown")

    # -- life cycle ----------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> None:
        """Start the server and wait until /sparql answers and the SQL port listens."""
        if self.process is not None and self.process.poll() is None:
            return
        log = open(self.root / "virtuoso.out", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen([self.server_bin, "+foreground", "+configfile", str(self.ini)],
                                        cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        _running.add(self.process)
        deadline = time.monotonic() + timeout
        while not (self._http_ready() and self._sql_ready()):
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"virtuoso-t did not come up in {timeout:g} s:\n{self.log_tail()}")
            time.sleep(0.2)
        if not self._user_created:
            self.isql(f"DB.DBA.USER_CREATE ('{USER}', '{PASSWORD}');\nGRANT SPARQL_UPDATE TO \"{USER}\";\n")
            self._user_created = True

    def stop(self, timeout: float = 60.0) -> None:
        """A clean stop: ``shutdown`` (checkpoint first) over isql, then signals if needed."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            self.process = None
            return
        try:
            self.isql("shutdown;\n", check=False, timeout=timeout)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self._forget(proc)

    def kill(self) -> None:
        """SIGKILL, as a crash would: whatever was not committed is lost."""
        proc = self.process
        if proc is None:
            return
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        self._forget(proc)

    def _forget(self, proc: subprocess.Popen[bytes]) -> None:
        _running.discard(proc)
        self.process = None

    def checkpoint(self) -> None:
        """Write everything committed into the database file (Virtuoso replays the log
        badly after an unclean stop; see ``kg.sparql_store``)."""
        self.isql("checkpoint;\n")

    def isql(self, sql: str, *, check: bool = True, timeout: float = 60.0) -> str:
        """Run SQL statements as ``dba`` through the SQL port."""
        script = self.root / f"isql-{uuid.uuid4().hex}.sql"
        script.write_text(sql)
        try:
            out = subprocess.run([self.isql_bin, f"127.0.0.1:{self.sql_port}", "dba", "dba", str(script)],
                                 capture_output=True, text=True, timeout=timeout, check=False)
        finally:
            script.unlink()
        text = out.stdout + out.stderr
        if check and (out.returncode != 0 or "*** Error" in text):
            raise RuntimeError(f"isql failed ({out.returncode}): {text}")
        return text

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "virtuoso.out"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def _http_ready(self) -> bool:
        try:
            r = httpx.get(self.query_endpoint, params={"query": "ASK {}"}, timeout=2)
        except httpx.HTTPError:
            return False
        return r.status_code == 200

    def _sql_ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.sql_port), timeout=1):
                return True
        except OSError:
            return False

    # -- clients -------------------------------------------------------------------------

    def store(self, **kw: Any) -> SparqlGraphStore:
        """A store on this server: reads from /sparql, writes to /sparql-auth as the test user."""
        return SparqlGraphStore(self.query_endpoint, self.update_endpoint, user=USER, password=PASSWORD, **kw)

    def engine(self, **kw: Any) -> RemoteEngine:
        """A query engine on this server (updates allowed unless ``writable=False``)."""
        kw.setdefault("writable", True)
        return RemoteEngine(self.query_endpoint, self.update_endpoint, user=USER, password=PASSWORD, **kw)


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_running):
        if proc.poll() is None:
            proc.kill()


def running_virtuoso(root: Path) -> Iterator[VirtuosoServer]:
    """Start a server in ``root``; stop it (cleanly) afterwards."""
    server = VirtuosoServer(root)
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            server.kill()
            for name in ("virtuoso.db", "virtuoso-temp.db", "virtuoso.trx", "virtuoso-temp.trx"):
                (root / name).unlink(missing_ok=True)  # about 100 MB; the logs stay


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """One Virtuoso for the session; tests keep to graphs of their own (never restart it)."""
    yield from running_virtuoso(tmp_path_factory.mktemp("virtuoso"))


@pytest.fixture(scope="module")
def restartable_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A Virtuoso of the module's own, which its tests may stop, kill and start again."""
    yield from running_virtuoso(tmp_path_factory.mktemp("virtuoso-faults"))


# --------------------------------------------------------------------------------------
# The store backends, as one fixture parameter.

@dataclass
class Backend:
    """A store under test, and the IRI space the test writes its graphs in."""

    name: str
    store: GraphStore
    base: str

    def iri(self, path: str) -> str:
        return self.base + path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each graph store backend in turn, empty as far as the test can see.

    Oxigraph: a fresh directory. Virtuoso: the session server, with a store that owns only
    this test's IRI space (its graphs are dropped afterwards).
    """
    base = f"https://healthkg.test/t/{uuid.uuid4().hex}/"
    if request.param == "oxigraph":
        store: GraphStore = OxigraphGraphStore(tmp_path / "oxigraph")
        yield Backend("oxigraph", store, base)
        store.close()
        return
    server: VirtuosoServer = request.getfixturevalue("virtuoso")
    remote = server.store(graph_prefixes=(base,))
    yield Backend("virtuoso", remote, base)
    try:
        for iri in remote.graph_iris():
            remote.drop_graph(iri)
    finally:
        remote.close()
