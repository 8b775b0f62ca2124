"""The same corpus built into the embedded store and into Virtuoso answers the same."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.build import BuildConfig, Builder
from api.settings import Settings
from embeddings.encoder import Encoder
from kg.namespaces import sparql_prologue
from kg.sparql_store import SparqlGraphStore
from tests.paths import DATA, SEED
from tests.support import assert_error_shape, primed_data_dir
from tests.virtuoso import PASSWORD, USER, VirtuosoServer, restartable_virtuoso, virtuoso

__all__ = ["restartable_virtuoso", "virtuoso"]

BASE = f"https://healthkg.test/parity/{uuid.uuid4().hex[:8]}/"
ARTICLES = ("botox-vs-dermal-fillers.txt", "telogen-effluvium.md")
DENIALS = sparql_prologue() + """
SELECT ?article ?sentence ?begin ?end ?author WHERE {
  ?s skos:prefLabel "Botox injection"@en . ?o skos:prefLabel "hair loss"@en .
  ?claim rdf:subject ?s ; rdf:predicate biolink:causes ; rdf:object ?o ; biolink:negated true ;
         prov:wasDerivedFrom ?sentence ; prov:wasAttributedTo ?p ; dcterms:isPartOf ?article .
  ?p schema:name ?author . ?sentence nif:beginIndex ?begin ; nif:endIndex ?end .
}"""


def remote_settings(server: VirtuosoServer, data_dir: Path, **kw: Any) -> Settings:
    return Settings(store="sparql", sparql_query_endpoint=server.query_endpoint,
                    sparql_update_endpoint=server.update_endpoint, sparql_user=USER,
                    sparql_password=PASSWORD, data_dir=data_dir, base_iri=BASE, **kw)  # type: ignore[arg-type]


def build(articles: Path, data_dir: Path, encoder: Encoder, store: SparqlGraphStore | None = None) -> None:
    factory = (lambda _path, _previous: store) if store is not None else None
    Builder(BuildConfig(articles, data_dir, BASE), encoder, store_factory=factory).run()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    articles = tmp_path_factory.mktemp("parity") / "articles"
    articles.mkdir()
    (articles / SEED.name).write_bytes(SEED.read_bytes())
    for name in ARTICLES:
        (articles / name).write_bytes((DATA / name).read_bytes())
    return articles


@pytest.fixture(scope="module")
def both(corpus: Path, tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, seed_settings: Settings,
         virtuoso: VirtuosoServer) -> Iterator[dict[str, TestClient]]:
    root = tmp_path_factory.mktemp("parity-builds")
    local = primed_data_dir(root / "oxigraph", seed_settings.data_dir)
    remote = primed_data_dir(root / "virtuoso", seed_settings.data_dir)
    build(corpus, local, encoder)
    settings = remote_settings(virtuoso, remote)
    build(corpus, remote, encoder, SparqlGraphStore.from_settings(settings))
    apps = {"oxigraph": create_app(Settings(data_dir=local, base_iri=BASE, sparql_workers=1), encoder=encoder),
            "virtuoso": create_app(settings, encoder=encoder)}
    with TestClient(apps["oxigraph"]) as a, TestClient(apps["virtuoso"]) as b:
        yield {"oxigraph": a, "virtuoso": b}


def denials(client: TestClient) -> set[tuple[str, ...]]:
    r = client.post("/sparql", data={"query": DENIALS}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    rows = r.json()["results"]["bindings"]
    # Virtuoso keeps xsd:nonNegativeInteger, Oxigraph normalises to xsd:integer: compare values
    return {(x["article"]["value"], x["sentence"]["value"], str(int(x["begin"]["value"])),
             str(int(x["end"]["value"])), x["author"]["value"]) for x in rows}


def test_the_seed_denial_is_queryable_with_the_same_sparql(both: dict[str, TestClient]) -> None:
    local, remote = denials(both["oxigraph"]), denials(both["virtuoso"])
    assert len(local) == 2 and local == remote


def essence(body: dict[str, Any]) -> dict[str, Any]:
    hits = [(h["sentence"], h["text"], tuple(h["offsets"]), h["article"]["title"], h["article"]["author"],
             sorted((c["subject"], c["predicate"], c["object"], c["negated"]) for c in h["claims"]),
             sorted(e["iri"] for e in h["entities"])) for h in body["hits"]]
    claims = [(c["subject"], c["predicate"], c["object"], sorted(p["sentence"] for p in c["supported_by"]),
               sorted(p["sentence"] for p in c["denied_by"])) for c in body["answer"]["claims"]]
    return {"hits": hits, "claims": claims}


@pytest.mark.parametrize("q", ["does botox make your hair fall out", "what is in a hair botox treatment",
                               "what triggers telogen effluvium", "dermal fillers side effects"])
def test_search_answers_are_identical_on_both_backends(both: dict[str, TestClient], q: str) -> None:
    answers = {name: client.get("/search", params={"q": q, "k": 8}) for name, client in both.items()}
    assert all(r.status_code == 200 for r in answers.values())
    assert essence(answers["oxigraph"].json()) == essence(answers["virtuoso"].json())


def test_search_and_sparql_answer_503_while_the_store_is_down_and_recover(
        corpus: Path, tmp_path: Path, encoder: Encoder, seed_settings: Settings,
        restartable_virtuoso: VirtuosoServer) -> None:
    server = restartable_virtuoso
    settings = remote_settings(server, primed_data_dir(tmp_path / "build", seed_settings.data_dir), sparql_timeout=5)
    build(corpus, settings.data_dir, encoder, SparqlGraphStore.from_settings(settings))
    with TestClient(create_app(settings, encoder=encoder)) as client:
        assert client.get("/search", params={"q": "botox"}).status_code == 200
        server.stop()
        try:
            body = assert_error_shape(client.get("/search", params={"q": "botox"}), 503)  # type: ignore[arg-type]
            assert server.query_endpoint in body["message"] or "unavailable" in body["message"].lower()
            assert_error_shape(client.get("/sparql", params={"query": "ASK {?s ?p ?o}"}), 503)  # type: ignore[arg-type]
        finally:
            server.start()
        assert client.get("/search", params={"q": "botox"}).status_code == 200
