"""A generation is verified before it serves: a truncated or overwritten file is refused by
name, the previous generation keeps serving, /health says what is wrong, and a server with
nothing valid to serve exits with one message instead of a traceback (issue 13, item 5)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.build import CURRENT, GENERATIONS, MANIFEST, _switch_current, current_generation
from api.settings import Settings
from embeddings.encoder import Encoder
from tests.paths import BASE_IRI
from tests.support import cli_env, run_cli

QUESTION = "does botox make your hair fall out"


@pytest.fixture
def data_dir(tmp_path: Path, seed_settings: Settings) -> Path:
    """A private copy of the seed build (generations, cache and the ``current`` link)."""
    target = tmp_path / "data"
    shutil.copytree(seed_settings.data_dir, target, symlinks=True,
                    ignore=shutil.ignore_patterns("build.lock"))
    return target


def settings_for(data_dir: Path, seed_settings: Settings) -> Settings:
    return Settings(articles_dir=seed_settings.articles_dir, data_dir=data_dir, base_iri=BASE_IRI,
                    sparql_workers=1, reload_interval=0.05)


def clone_current(data_dir: Path, suffix: str, source: Path | None = None) -> Path:
    """A copy of the current generation (or ``source``) under a name that sorts after it (not
    switched to)."""
    source = source or current_generation(data_dir)
    assert source is not None
    clone = data_dir / GENERATIONS / f"{source.name}{suffix}"
    shutil.copytree(source, clone)
    manifest = json.loads((clone / MANIFEST).read_text())
    manifest["generation"] = clone.name
    (clone / MANIFEST).write_text(json.dumps(manifest))
    return clone


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def overwrite_same_length(path: Path) -> None:
    """Bytes in the middle replaced in place, the size unchanged (not valid UTF-8 any more)."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = b"\xff" * 64
    with open(path, "r+b") as fh:
        fh.write(data)
    assert path.stat().st_size == len(data)


def wait_reload(client: TestClient, want: str) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = client.get("/health").json()
        if body["status"] == want:
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"/health never said {want!r}: {body}")


def test_a_truncated_index_switched_in_while_serving_is_refused_and_the_previous_serves(
        data_dir: Path, seed_settings: Settings, encoder: Encoder, caplog: pytest.LogCaptureFixture) -> None:
    good = current_generation(data_dir)
    assert good is not None
    bad = clone_current(data_dir, "1")
    truncate(bad / "index" / "vectors.faiss")
    with TestClient(create_app(settings_for(data_dir, seed_settings), encoder=encoder)) as client:
        assert client.get("/health").json()["status"] == "ok"
        with caplog.at_level(logging.ERROR, logger="healthkg.state"):
            _switch_current(data_dir, bad)
            health = wait_reload(client, "degraded")
        assert health["generation"] == good.name
        errors = health["errors"]
        assert isinstance(errors, list) and errors[0]["generation"] == bad.name
        assert errors[0]["file"] == "index/vectors.faiss" and "bytes" in errors[0]["reason"]
        assert any("index/vectors.faiss" in r.getMessage() and bad.name in r.getMessage() for r in caplog.records)
        for _ in range(3):  # every request after the switch, not one 500 per reload interval
            r = client.get("/search", params={"q": QUESTION, "k": 50})
            assert r.status_code == 200, r.text
            time.sleep(0.06)
        # The next good generation is served and the error is gone.
        fixed = clone_current(data_dir, "2", source=good)
        assert fixed.name > bad.name
        _switch_current(data_dir, fixed)
        health = wait_reload(client, "ok")
        assert health["generation"] == fixed.name and health["errors"] == []


@pytest.mark.parametrize("part", ["view/sentences.bin", "concepts/labels.json", "lexical/iris.json"])
def test_a_file_overwritten_in_place_with_the_same_length_is_refused_at_start_up(
        data_dir: Path, seed_settings: Settings, encoder: Encoder, part: str) -> None:
    """Without checksums such a view table starts fine and fails every /search?k=50 (500)."""
    good = current_generation(data_dir)
    assert good is not None
    bad = clone_current(data_dir, "1")
    overwrite_same_length(bad / part)
    _switch_current(data_dir, bad)
    with TestClient(create_app(settings_for(data_dir, seed_settings), encoder=encoder)) as client:
        health = client.get("/health").json()
        assert health["status"] == "degraded" and health["generation"] == good.name, health
        assert [(e["file"], e["generation"]) for e in health["errors"]] == [(part, bad.name)]
        assert "checksum" in health["errors"][0]["reason"]
        r = client.get("/search", params={"q": QUESTION, "k": 50})
        assert r.status_code == 200, r.text
    assert os.readlink(data_dir / CURRENT).endswith(bad.name)  # the server never moves `current`


def _store_file(generation: Path) -> Path:
    return max((p for p in (generation / "store").iterdir() if p.suffix == ".sst"), key=lambda p: p.stat().st_size)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated index", "missing store file"])
def test_serve_with_no_valid_generation_exits_with_one_clear_message(data_dir: Path, damage: str) -> None:
    gen = current_generation(data_dir)
    assert gen is not None
    if damage == "truncated index":
        truncate(gen / "index" / "vectors.faiss")
        named = "index/vectors.faiss"
    else:
        sst = _store_file(gen)
        sst.unlink()
        named = f"store/{sst.name}"
    done = run_cli(["serve", "--host", "127.0.0.1", "--port", "0"], cli_env(data_dir), timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and "Uvicorn running" not in output, output
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: no valid generation to serve") and named in last and gen.name in last, output


def test_a_generation_verifies_after_it_has_been_served(data_dir: Path, seed_settings: Settings,
                                                        encoder: Encoder) -> None:
    """Serving (read-only store workers, memory-mapped tables) changes no file the manifest lists."""
    from api.generation import FILES_KEY, verify

    with TestClient(create_app(settings_for(data_dir, seed_settings), encoder=encoder)) as client:
        assert client.get("/search", params={"q": QUESTION, "k": 5}).status_code == 200
        assert client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200
    gen = current_generation(data_dir)
    assert gen is not None
    assert verify(gen, json.loads((gen / MANIFEST).read_text())[FILES_KEY]) == []
