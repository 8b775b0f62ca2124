"""Semantic search over several articles: modes, filters, pagination, the graph-backed answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.search import reciprocal_rank_fusion
from api.settings import Settings
from embeddings.encoder import Encoder
from tests.conftest import built_search_corpus
from tests.paths import BASE_IRI, SEED_EXPECTED
from tests.support import assert_error_shape, cli_env, start_serve

CAUSES = "https://w3id.org/biolink/vocab/causes"
BOTOX = "https://w3id.org/healthkg/concept/botox-injection"
HAIR_LOSS = "https://w3id.org/healthkg/concept/hair-loss"
CORPUS = ("botox-vs-dermal-fillers.txt", "minoxidil-hair-loss.md", "telogen-effluvium.md", "alopecia-areata.txt")


@pytest.fixture(scope="module")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, seed_settings: Settings) -> Settings:
    return built_search_corpus(tmp_path_factory.mktemp("search"), CORPUS, encoder, seed_settings)


@pytest.fixture(scope="module")
def client(corpus_settings: Settings, encoder: Encoder) -> Iterator[TestClient]:
    with TestClient(create_app(corpus_settings, encoder=encoder)) as c:
        yield c


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def article_text(client: TestClient, article: str) -> str:
    q = f"SELECT ?t WHERE {{ <{article}> <https://w3id.org/healthkg/ontology#hasText>/" \
        "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#isString> ?t }"
    r = client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    return r.json()["results"]["bindings"][0]["t"]["value"]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_each_mode_ranks_and_hits_carry_provenance(client: TestClient, mode: str) -> None:
    body = search(client, q="minoxidil side effects", k=5, mode=mode)
    assert body["mode"] == mode and 0 < len(body["hits"]) <= 5
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert any("inoxidil" in h["text"] for h in body["hits"])
    for hit in body["hits"]:
        text = article_text(client, hit["article"]["iri"])
        b, e = hit["offsets"]
        assert text[b:e] == hit["text"]
        assert hit["sentence"].startswith(hit["article"]["iri"] + "/sentence/")


def test_bm25_is_lexical_and_dense_is_semantic(client: TestClient) -> None:
    # no word of the query is in the corpus: BM25 finds nothing, dense still finds the hair-loss sentences
    assert search(client, q="zzqx wibble", mode="bm25")["hits"] == []
    dense = search(client, q="my hair keeps falling out in clumps", mode="dense", k=3)["hits"]
    assert any("hair" in h["text"].lower() or "shedding" in h["text"].lower() for h in dense)


def test_rrf_fuses_by_rank() -> None:
    fused = reciprocal_rank_fusion([[("a", 9.0), ("b", 8.0)], [("b", 1.0), ("c", 0.5)]])
    assert [iri for iri, _ in fused] == ["b", "a", "c"]


def test_weighted_rrf_weighs_each_list() -> None:
    # dense ranks a, b; bm25 ranks b, c: b is in both lists and wins; c (bm25 only) falls behind a as the
    # bm25 weight drops; at weight 0 the order is dense's own
    dense, bm25 = [("a", 0.9), ("b", 0.5)], [("b", 3.0), ("c", 2.0)]
    assert [i for i, _ in reciprocal_rank_fusion([dense, bm25], 60, [1.0, 0.5])][:2] == ["b", "a"]
    assert [i for i, _ in reciprocal_rank_fusion([dense, bm25], 60, [1.0, 0.2])][:3] == ["b", "a", "c"]
    only_dense = reciprocal_rank_fusion([dense, bm25], 60, [1.0, 0.0])
    assert [i for i, _ in only_dense][:2] == ["a", "b"]


@pytest.mark.parametrize(("mode", "retrievers"), [("hybrid", {"dense", "bm25"}), ("dense", {"dense"}),
                                                  ("bm25", {"bm25"})])
def test_each_hit_explains_its_rank_in_each_retriever(client: TestClient, mode: str, retrievers: set[str]) -> None:
    hits = search(client, q="minoxidil side effects", k=5, mode=mode)["hits"]
    assert hits and all(set(h["explain"]) <= retrievers for h in hits)
    assert any(set(h["explain"]) == retrievers for h in hits)
    for h in hits:
        for name, e in h["explain"].items():
            assert e["rank"] >= 1 and isinstance(e["score"], float), (name, e)
    if mode != "hybrid":  # a single retriever's own score is the hit's score, and its rank the hit's rank
        assert all(h["explain"][mode]["rank"] == h["rank"] for h in hits)


def test_the_botox_answer_is_a_denial_with_exact_provenance(client: TestClient) -> None:
    expected = json.loads(SEED_EXPECTED.read_text())["search"][0]
    body = search(client, q=expected["query"], k=5)
    assert expected["top_hit_contains"] in body["hits"][0]["text"]
    claims = [c for c in body["answer"]["claims"]
              if (c["subject"], c["predicate"], c["object"]) == (BOTOX, CAUSES, HAIR_LOSS)]
    assert len(claims) == 1
    claim = claims[0]
    assert claim["supported_by"] == [] and len(claim["denied_by"]) == 2
    assert (claim["supported_count"], claim["denied_count"]) == (0, 2)
    assert claim["verdict"] == "denied"
    assert body["answer"]["claims"][0] is not None and body["answer"]["claims"][0]["subject"] == BOTOX
    for prov in claim["denied_by"]:
        text = article_text(client, prov["article"])
        b, e = prov["offsets"]
        assert text[b:e] == prov["quote"] and "do not cause hair loss" in prov["quote"]
        assert prov["author"] == "Olivia Thompson"


def test_answer_evidence_is_capped_with_the_full_counts(corpus_settings: Settings, encoder: Encoder) -> None:
    capped = corpus_settings.model_copy(update={"answer_evidence": 1})
    with TestClient(create_app(capped, encoder=encoder)) as c:
        body = search(c, q="does botox cause hair loss", k=5)
    claim = next(c for c in body["answer"]["claims"] if (c["subject"], c["predicate"], c["object"]) == (BOTOX, CAUSES, HAIR_LOSS))
    assert len(claim["denied_by"]) == 1 and claim["denied_count"] == 2 and claim["verdict"] == "denied"


def test_answer_keeps_the_most_relevant_claims_and_counts_them_all(client: TestClient, corpus_settings: Settings,
                                                                  encoder: Encoder) -> None:
    full = search(client, q="does botox cause hair loss", k=5)["answer"]
    assert full["claims_total"] > len(full["claims"]) == 20  # the default keeps 20 of the 23 claims
    with TestClient(create_app(corpus_settings.model_copy(update={"answer_claims": 1}), encoder=encoder)) as c:
        one = search(c, q="does botox cause hair loss", k=5)["answer"]
    assert one["claims"] == full["claims"][:1] and one["claims_total"] == full["claims_total"]


def test_second_expected_query_finds_the_ingredients(client: TestClient) -> None:
    expected = json.loads(SEED_EXPECTED.read_text())["search"][1]
    top3 = search(client, q=expected["query"], k=3)["hits"]
    assert any(expected["top3_contains"] in h["text"] for h in top3)


def test_paraphrase_links_to_a_concept(client: TestClient) -> None:
    concepts = search(client, q="will this make my hair fall out", k=1)["answer"]["concepts"]
    assert HAIR_LOSS in [c["iri"] for c in concepts]
    concepts = search(client, q="can my thyroid make me go bald", k=1)["answer"]["concepts"]
    assert any(c["how"] == "embedding" for c in concepts)


def test_answer_gathers_across_articles(client: TestClient) -> None:
    answer = search(client, q="what causes hair loss", k=5)["answer"]
    articles = {p["article"] for c in answer["claims"] for p in c["supported_by"] + c["denied_by"]}
    assert len(articles) >= 2


def test_filters(client: TestClient, corpus_settings: Settings) -> None:
    seed = BASE_IRI + "article/botox-hair-loss"
    hits = search(client, q="hair loss", k=20, article=seed)["hits"]
    assert hits and all(h["article"]["iri"] == seed for h in hits)
    hits = search(client, q="hair loss", k=20, author="Olivia Thompson")["hits"]
    assert hits and all(h["article"]["author"] == "Olivia Thompson" for h in hits)
    hits = search(client, q="does botox cause hair loss", k=10, negated=True)["hits"]
    assert hits and all(any(c["negated"] for c in h["claims"]) for h in hits)
    hits = search(client, q="what does hair botox contain", k=10,
                  predicate="https://w3id.org/healthkg/ontology#contains")["hits"]
    assert hits and all(any(c["predicate"].endswith("#contains") for c in h["claims"]) for h in hits)
    hits = search(client, q="wrinkles", k=10, entity_type="http://schema.org/MedicalCondition")["hits"]
    assert hits and all(any("http://schema.org/MedicalCondition" in e["types"] for e in h["entities"]) for h in hits)
    floor = search(client, q="wrinkles", k=50)["hits"][2]["score"]
    assert all(h["score"] >= floor for h in search(client, q="wrinkles", k=50, min_score=floor)["hits"])


def test_pagination_is_stable(client: TestClient) -> None:
    whole = [h["sentence"] for h in search(client, q="hair loss treatment", k=12)["hits"]]
    pages = [h["sentence"] for off in (0, 4, 8) for h in search(client, q="hair loss treatment", k=4, offset=off)["hits"]]
    assert pages == whole and len(set(whole)) == 12


def test_post_equals_get(client: TestClient) -> None:
    get = search(client, q="retinoids", k=3, mode="dense")
    post = client.post("/search", json={"q": "retinoids", "k": 3, "mode": "dense"}).json()
    assert [h["sentence"] for h in get["hits"]] == [h["sentence"] for h in post["hits"]]


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "x", "k": 0}, {"q": "x", "k": 1000}, {"q": "x" * 10_000},
                                    {"q": "x", "mode": "magic"}, {"q": "x", "colour": "red"}])
def test_bad_input_is_4xx_in_the_error_shape(client: TestClient, params: dict[str, Any]) -> None:
    r = client.post("/search", json=params)
    assert_error_shape(r, (400, 422))  # type: ignore[arg-type]


def test_an_app_calls_the_real_server(corpus_settings: Settings, tmp_path: Path) -> None:
    """What another service does: httpx against `healthkg serve` on a free port."""
    server = start_serve(cli_env(corpus_settings.data_dir, sparql_workers="1"), tmp_path / "serve.log")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as app:
            body = app.post("/search", json={"q": "does botox make your hair fall out", "k": 3}).json()
            assert "Botox injections do not cause hair loss" in body["hits"][0]["text"]
            denied = [c for c in body["answer"]["claims"] if c["subject"] == BOTOX and c["object"] == HAIR_LOSS]
            assert denied and denied[0]["verdict"] == "denied"
            bad = app.get("/search", params={"q": "x", "k": 0})
            assert bad.status_code == 422 and set(bad.json()) == {"code", "message", "detail"}
    finally:
        server.stop()


def test_k1_hybrid_top_hit_is_the_denial(client: TestClient) -> None:
    """The graph rerank sees the whole fused pool, not just the first k."""
    hits = search(client, q="does botox make your hair fall out", k=1)["hits"]
    assert "Botox injections do not cause hair loss" in hits[0]["text"]
