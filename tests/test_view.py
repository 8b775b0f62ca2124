"""The generation's materialised view: the same answers as the live graph, and never stale."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.search import SearchParams, SearchService
from api.settings import Settings
from api.view import STORE_MODIFIED, LiveReader, Table, View
from embeddings.encoder import Encoder
from tests.conftest import build_corpus, built_search_corpus
from tests.paths import DATA

QUERIES = json.loads((DATA / "queries.json").read_text())
CORPUS = ("botox-vs-dermal-fillers.txt", "minoxidil-hair-loss.md", "telogen-effluvium.md", "alopecia-areata.txt",
          "botox-hyperhidrosis-migraine.md")
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
TOKEN = "view-test-token"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, seed_settings: Settings) -> Settings:
    return built_search_corpus(tmp_path_factory.mktemp("view"), CORPUS, encoder, seed_settings, reload_interval=0)


@pytest.fixture(scope="module")
def client(built: Settings, encoder: Encoder) -> Iterator[TestClient]:
    with TestClient(create_app(built, encoder=encoder)) as c:
        yield c


def query_texts() -> list[str]:
    return [q["query"] for q in QUERIES["queries"]][::12]


def test_health_says_the_view_serves(client: TestClient) -> None:
    assert client.get("/health").json()["graph_reads"] == "view"


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_view_and_live_graph_give_the_same_responses(client: TestClient, mode: str) -> None:
    state = client.app.state.hk  # type: ignore[attr-defined]
    service = SearchService(state)
    view = state.current().view
    assert view is not None
    live = LiveReader(state.query_engine())
    compared = 0
    for q in query_texts():
        for k in (3, 25):
            params = SearchParams(q=q, k=k, mode=mode)
            state.reader = lambda: view
            from_view = service.search(params)
            state.reader = lambda: live
            from_live = service.search(params)
            del state.reader
            assert from_view == from_live, q
            compared += bool(from_view["hits"])
    assert compared >= 10  # the comparison saw real hits, not empty pages


def test_readers_agree_on_every_sentence_and_concept(client: TestClient) -> None:
    state = client.app.state.hk  # type: ignore[attr-defined]
    gen = state.current()
    live, view = LiveReader(state.query_engine()), gen.view
    iris = sorted(gen.index.iris.values())
    assert len(view.sentence_rows) == len(iris) > 100
    assert view.sentences(iris) == live.sentences(iris)
    assert view.mentions(iris) == live.mentions(iris)
    key = lambda c: c["iri"]  # noqa: E731
    assert sorted(view.claims_from_sentences(iris), key=key) == sorted(live.claims_from_sentences(iris), key=key)
    concepts = sorted({c for cs in live.mentions(iris).values() for c in cs} | {"https://example.org/unknown"})
    assert view.concepts(concepts) == live.concepts(concepts)
    for chunk in (concepts[:1], concepts[:5], concepts):
        assert view.claim_groups(chunk) == live.claim_groups(chunk)
    assert live.claim_groups(concepts[:5])  # the comparison saw claims


def test_table_round_trip_and_refuses_a_truncated_blob(tmp_path: Path) -> None:
    items = [(f"https://x.example/{i}", {"n": i, "text": "é" * (i % 5)}) for i in range(500)]
    assert Table.write(tmp_path, "t", items) == 500
    table = Table(tmp_path, "t")
    assert all(table.get(k) == v for k, v in items)
    assert table.get("https://x.example/absent") is None
    Table.write(tmp_path, "empty", [])
    assert Table(tmp_path, "empty").get("anything") is None
    blob = tmp_path / "t.bin"
    blob.write_bytes(blob.read_bytes()[:-3])
    with pytest.raises(ValueError, match="inconsistent"):
        Table(tmp_path, "t")
    assert np.load(tmp_path / "t.keys.npy").dtype == np.int64


def test_an_update_switches_search_to_the_live_graph_and_the_next_build_replaces_it(
        built: Settings, encoder: Encoder, tmp_path: Path) -> None:
    """A SPARQL update makes the view stale: search must show the update at once. The next
    build (nothing changed in the articles) starts from the articles again, as the README
    says: the update is gone from its store and its view alike."""
    data = tmp_path / "build"
    shutil.copytree(built.data_dir, data, symlinks=True)
    settings = built.model_copy(update={"data_dir": data, "update_enabled": True, "update_token": SecretStr(TOKEN)})
    with TestClient(create_app(settings, encoder=encoder)) as c:
        assert c.get("/health").json()["graph_reads"] == "live"
        hit = c.get("/search", params={"q": "does botox cause hair loss", "k": 1, "mode": "dense"}).json()["hits"][0]
        marker = "https://example.org/concept/updated-marker"
        update = (f"INSERT {{ GRAPH ?g {{ <{hit['sentence']}> <http://schema.org/mentions> <{marker}> }} }} "
                  f"WHERE {{ GRAPH ?g {{ <{hit['sentence']}> <{NIF}anchorOf> ?t }} }}")
        r = c.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 204, r.text
        after = c.get("/search", params={"q": "does botox cause hair loss", "k": 1, "mode": "dense"}).json()["hits"][0]
        assert marker in [e["iri"] for e in after["entities"]]
        generation = Path(c.get("/health").json()["generation"])
    current = (data / "current").resolve()
    assert (current / STORE_MODIFIED).exists() and current.name == generation.name
    build_corpus(Path(built.articles_dir), data, encoder, validate=False)
    rebuilt = (data / "current").resolve()
    assert rebuilt != current and not (rebuilt / STORE_MODIFIED).exists()
    view = View.open(rebuilt)
    assert view is not None and marker not in view.mentions([hit["sentence"]])[hit["sentence"]]
    with TestClient(create_app(settings.model_copy(update={"update_enabled": False}), encoder=encoder)) as c:
        assert c.get("/health").json()["graph_reads"] == "view"
        again = c.get("/search", params={"q": "does botox cause hair loss", "k": 1, "mode": "dense"}).json()["hits"][0]
        assert again["sentence"] == hit["sentence"] and marker not in [e["iri"] for e in again["entities"]]
        ask = f"ASK {{ ?s <http://schema.org/mentions> <{marker}> }}"
        r = c.get("/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"})
        assert r.json()["boolean"] is False  # the store agrees with the view
