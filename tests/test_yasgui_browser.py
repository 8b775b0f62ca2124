"""A real browser: Debian's chromium, headless, opens YASGUI from the running server,
runs the first example query by clicking its button, and sees a result row.

Chromium is driven over the DevTools protocol (``--remote-debugging-port``) with the
``websockets`` client; it must be installed (``apt-get install -y chromium``).
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.sparql_support import Server, sparql_server

__all__ = ["sparql_server"]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--remote-debugging-port=0"]


def chromium_binary() -> str:
    """Debian's chromium; a clear failure (never a skip) when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed: apt-get install -y chromium"
    return found


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == msg_id:
                assert "error" not in msg, msg
                return msg["result"]

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for: {expression}")


@pytest.fixture
def browser_page(sparql_server: Server) -> Iterator[DevTools]:
    """Chromium (fresh profile) showing the YASGUI page of the server."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    cmd = [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", sparql_server.sparql]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = _devtools_port(profile, proc)
        ws_url = _page_websocket(port)
        with connect(ws_url, max_size=None, open_timeout=30) as ws:
            yield DevTools(ws)
    finally:
        proc.kill()
        proc.wait(10)
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(profile: Path, proc: subprocess.Popen[bytes]) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        assert proc.poll() is None, "chromium exited at start-up"
        time.sleep(0.1)
    raise AssertionError("chromium did not open its DevTools port")


def _page_websocket(port: int) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
        pages = [t for t in targets if t.get("type") == "page" and "/sparql" in t.get("url", "")]
        if pages:
            return pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.2)
    raise AssertionError("the YASGUI page did not open")


def test_yasgui_runs_an_example_query(browser_page: DevTools) -> None:
    page = browser_page
    page.wait_for("!!window.healthkgYasgui && !!document.querySelector('.yasqe_queryButton')")
    name = page.evaluate("window.healthkgYasgui.getTab().getName()")
    assert name == "Claims: denied vs affirmed"
    assert page.evaluate("document.body.innerText.includes('Authors and specialties')")
    query = page.evaluate("window.healthkgYasgui.getTab().getQuery()")
    assert "biolink:negated" in query
    page.evaluate("""(() => {
        const buttons = [...document.querySelectorAll('.yasqe_queryButton')];
        buttons.find(b => b.offsetParent !== null).click();
        return true; })()""")
    rows = page.wait_for("""(() => {
        const cells = [...document.querySelectorAll('.yasr table tbody tr')]
            .map(tr => tr.innerText).filter(t => t.includes('Botox injection'));
        return cells.length ? cells : null; })()""")
    assert any("hair loss" in row for row in rows)
    assert any("true" in row for row in rows)  # the denied claim: negated = true
