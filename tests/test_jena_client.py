"""Jena's real `rsparql` against the real server: `--post`, and a query over 2 KB (which Jena
sends by POST on its own). Java's HttpClient asks for an h2c upgrade on every POST; the body
must still arrive (issue 12). Debian's libapache-jena-java (installed by .ci/system-deps.sh)
ships Jena's commands as jars: `rsparql` is the class ``arq.rsparql`` its script runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from api.settings import Settings
from tests.paths import SEED_ARTICLE_IRI
from tests.support import ServeProcess, serving_seed

pytestmark = pytest.mark.slow

JARS = Path("/usr/share/java")
HEADLINE = "http://schema.org/headline"


def _installed_dependencies(package: str) -> set[str]:
    """``package`` and every installed package it depends on, recursively (dpkg only)."""
    seen: set[str] = set()
    todo = [package]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        done = subprocess.run(["dpkg-query", "-W", "-f=${Status}|${Depends}", name], capture_output=True, text=True)
        status, _, depends = done.stdout.partition("|")
        if done.returncode != 0 or "installed" not in status.split():
            continue
        seen.add(name)
        for alternative in filter(None, (d.strip() for d in depends.split(","))):
            todo.append(alternative.split("|")[0].split()[0].split(":")[0])
    return seen


@cache
def jena_classpath(overlay: Path) -> str:
    """The jars of libapache-jena-java and its dependencies, one slf4j binding (nop), and an
    overlay with the Xerces message bundles Debian's jena-core (4.5.0-2) leaves under their
    old package name: without them Jena dies at start-up ('internal error' in XSSimpleTypeDecl)."""
    jars = []
    for package in sorted(_installed_dependencies("libapache-jena-java")):
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout.split()
        jars += [p for p in listed if p.startswith(f"{JARS}/") and p.endswith(".jar") and "/" not in p[len(str(JARS)) + 1:]]
    jars = [j for j in dict.fromkeys(jars) if "slf4j" not in j and "log4j" not in j]
    jars += [str(JARS / "slf4j-api.jar"), str(JARS / "slf4j-nop.jar")]
    with zipfile.ZipFile(JARS / "jena-core.jar") as core:
        for name in core.namelist():
            if name.startswith("org/apache/jena/ext/xerces/") and name.endswith(".properties"):
                target = overlay / name.replace("org/apache/jena/ext/xerces/", "xerces/", 1)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(core.read(name))
    return ":".join([str(overlay), *jars])


@pytest.fixture(scope="module")
def rsparql(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    assert shutil.which("java") and (JARS / "jena-cmds.jar").exists(), \
        "Jena is missing: run .ci/system-deps.sh (Debian's libapache-jena-java and a JRE)"
    classpath = jena_classpath(tmp_path_factory.mktemp("jena-overlay"))
    return ["java", "-Dfile.encoding=UTF-8", "-Dstdout.encoding=UTF-8", "-cp", classpath, "arq.rsparql"]


@pytest.fixture(scope="module")
def server(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serving_seed(seed_settings.data_dir, seed_settings.articles_dir,
                      tmp_path_factory.mktemp("jena") / "serve.log") as proc:
        yield proc


def run_rsparql(rsparql: list[str], server: ServeProcess, query: str, tmp_path: Path, *args: str) -> dict:
    """rsparql --service URL/sparql --query FILE --results json ARGS; the parsed JSON answer."""
    path = tmp_path / "query.rq"
    path.write_text(query, encoding="utf-8")
    done = subprocess.run([*rsparql, "--service", f"{server.url}/sparql", "--query", str(path),
                           "--results", "json", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_rsparql_post_gets_the_answer(rsparql: list[str], server: ServeProcess, tmp_path: Path) -> None:
    answer = run_rsparql(rsparql, server, f"ASK {{ <{SEED_ARTICLE_IRI}> <{HEADLINE}> ?h }}", tmp_path, "--post")
    assert answer["boolean"] is True
    answer = run_rsparql(rsparql, server, f"SELECT ?h WHERE {{ <{SEED_ARTICLE_IRI}> <{HEADLINE}> ?h }}",
                         tmp_path, "--post")
    [row] = answer["results"]["bindings"]
    assert row["h"]["value"].startswith("Hair Loss: The Botox Connection")
    log = server.log.read_text(errors="replace")
    assert '"POST /sparql HTTP/1.1" 200' in log and '"POST /sparql HTTP/1.1" 400' not in log, log[-4000:]


def test_rsparql_query_over_2_kb(rsparql: list[str], server: ServeProcess, tmp_path: Path) -> None:
    """Jena sends a query longer than 2 KB by POST even without --post; a VALUES list keeps it long
    after Jena re-serialises it (comments and padding would be dropped)."""
    values = " ".join(str(n) for n in range(1, 701))
    query = (f"SELECT ?h (COUNT(?n) AS ?c) WHERE {{ <{SEED_ARTICLE_IRI}> <{HEADLINE}> ?h . "
             f"VALUES ?n {{ {values} }} }} GROUP BY ?h")
    assert len(query.encode()) > 2048
    before = server.log.read_text(errors="replace").count('"POST /sparql HTTP/1.1" 200')
    for args in ((), ("--post",)):
        answer = run_rsparql(rsparql, server, query, tmp_path, *args)
        [row] = answer["results"]["bindings"]
        assert row["c"]["value"] == "700" and row["h"]["value"].startswith("Hair Loss:")
    after = server.log.read_text(errors="replace").count('"POST /sparql HTTP/1.1" 200')
    assert after - before == 2  # both went by POST, and both were understood
