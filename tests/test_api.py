"""The API in process: create_app(settings) with its lifespan, /health, /search, /sparql, errors."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from embeddings.encoder import Encoder
from tests.paths import BASE_IRI, SEED_ARTICLE_IRI
from tests.support import JSON_RESULTS, assert_error_shape

QUESTION = "does botox make your hair fall out"
NOT_CAUSE = "Botox injections do not cause hair loss"
TEXT_QUERY = f"""PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX hk: <https://w3id.org/healthkg/ontology#>
SELECT ?text WHERE {{ <{SEED_ARTICLE_IRI}> hk:hasText ?ctx . ?ctx nif:isString ?text }}"""


@pytest.fixture(scope="module")
def client(seed_settings: Settings, encoder: Encoder) -> Iterator[TestClient]:
    app = create_app(seed_settings, encoder=encoder)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def stored_text(client: TestClient) -> str:
    """The article's text snapshot, as the graph stores it (fetched over /sparql)."""
    r = client.get("/sparql", params={"query": TEXT_QUERY}, headers={"Accept": JSON_RESULTS})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(JSON_RESULTS)
    rows = r.json()["results"]["bindings"]
    assert len(rows) == 1
    return str(rows[0]["text"]["value"])


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_health(client: TestClient, encoder: Encoder, seed_settings: Settings) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["model"] == encoder.model_id
    assert body["store"] == "oxigraph"
    assert body["generation"] == (seed_settings.data_dir / "current").resolve().name
    assert body["counts"]["articles"] == 1
    assert body["counts"]["sentences"] == 21 == body["index"]["count"]
    assert body["counts"]["triples"] > 0 and body["counts"]["claims"] > 0
    assert body["index"] == {"kind": "flat", "count": 21, "dimension": 384}
    assert body["errors"] == []


def test_search_lists_the_denial_first_with_offsets_into_the_stored_text(client: TestClient, stored_text: str) -> None:
    body = search(client, q=QUESTION)
    assert body["query"] == QUESTION
    first = body["hits"][0]
    assert NOT_CAUSE in first["text"]
    begin, end = first["offsets"]
    assert stored_text[begin:end] == first["text"]
    assert first["sentence"].startswith(SEED_ARTICLE_IRI + "/sentence/")
    assert first["article"]["iri"] == SEED_ARTICLE_IRI
    assert first["article"]["title"] == "Hair Loss: The Botox Connection - πŸ’‰ Revealing the Truth"
    assert first["article"]["author"] == "Olivia Thompson"
    assert 0 < first["score"] <= 1


def test_every_hit_slices_exactly_out_of_the_stored_text(client: TestClient, stored_text: str) -> None:
    body = search(client, q="hair", k=100)
    assert len(body["hits"]) == 21
    assert len({h["sentence"] for h in body["hits"]}) == 21
    for hit in body["hits"]:
        begin, end = hit["offsets"]
        assert stored_text[begin:end] == hit["text"], hit["sentence"]
        assert hit["sentence"].startswith(BASE_IRI)
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert [h["rank"] for h in body["hits"]] == list(range(1, 22))


def test_search_hit_carries_the_negated_claim(client: TestClient) -> None:
    first = search(client, q=QUESTION)["hits"][0]
    causes = [c for c in first["claims"] if c["predicate"] == "https://w3id.org/biolink/vocab/causes"]
    assert causes and all(c["negated"] is True for c in causes)
    assert {e["label"] for e in first["entities"]} >= {"Botox injection", "hair loss"}


@pytest.mark.parametrize("k", [1, 3, 7])
def test_k_bounds_the_number_of_hits(client: TestClient, k: int) -> None:
    assert len(search(client, q=QUESTION, k=k)["hits"]) == k


def test_post_search_answers_like_get(client: TestClient) -> None:
    got = search(client, q=QUESTION, k=5)
    r = client.post("/search", json={"q": QUESTION, "k": 5})
    assert r.status_code == 200, r.text
    posted = r.json()
    assert [h["sentence"] for h in posted["hits"]] == [h["sentence"] for h in got["hits"]]
    assert [h["offsets"] for h in posted["hits"]] == [h["offsets"] for h in got["hits"]]


def test_offset_pages_through_the_ranking(client: TestClient) -> None:
    whole = [h["sentence"] for h in search(client, q=QUESTION, k=6)["hits"]]
    page = [h["sentence"] for h in search(client, q=QUESTION, k=3, offset=3)["hits"]]
    assert page == whole[3:6]


def test_a_search_encodes_only_the_query(client: TestClient, encoder: Encoder) -> None:
    before = encoder.encoded
    search(client, q=QUESTION, k=3)
    assert encoder.encoded - before == 1


def test_sparql_get_and_post(client: TestClient, stored_text: str) -> None:
    ask = f"ASK {{ <{SEED_ARTICLE_IRI}> a <http://schema.org/Article> }}"
    r = client.get("/sparql", params={"query": ask}, headers={"Accept": JSON_RESULTS})
    assert r.status_code == 200 and r.json()["boolean"] is True
    r = client.post("/sparql", data={"query": TEXT_QUERY}, headers={"Accept": JSON_RESULTS})
    assert r.status_code == 200 and r.json()["results"]["bindings"][0]["text"]["value"] == stored_text
    r = client.post("/sparql", content=TEXT_QUERY.encode(),
                    headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS})
    assert r.status_code == 200 and r.json()["results"]["bindings"][0]["text"]["value"] == stored_text


def test_sparql_author_facts(client: TestClient) -> None:
    query = """PREFIX schema: <http://schema.org/>
PREFIX hk: <https://w3id.org/healthkg/ontology#>
SELECT ?prefix ?years ?topic WHERE { ?a schema:author ?p . ?p schema:name "Olivia Thompson" ;
  schema:honorificPrefix ?prefix ; hk:yearsOfExperience ?years ; schema:knowsAbout ?topic }"""
    r = client.get("/sparql", params={"query": query}, headers={"Accept": JSON_RESULTS})
    rows = r.json()["results"]["bindings"]
    assert {row["prefix"]["value"] for row in rows} == {"Dr."}
    assert {row["years"]["value"] for row in rows} == {"12"}
    assert {row["topic"]["value"] for row in rows} == {
        "Botox treatments", "medical dermatology", "cosmetic dermatology", "patient education"}


def test_openapi_documents_search(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert {"q", "k"} <= params
    assert "post" in spec["paths"]["/search"]


def test_openapi_operation_ids_are_unique(client: TestClient) -> None:
    app = client.app
    app.openapi_schema = None  # type: ignore[attr-defined]  # generate afresh, warnings included
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns "Duplicate Operation ID"
        spec = app.openapi()  # type: ignore[attr-defined]
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert {"sparql_get", "sparql_head", "sparql_post", "graph_store_get", "graph_store_head"} <= set(ids)


# ---- bad input: 4xx with {code, message, detail}, never a 500 ------------------------------

BAD_GET = [
    pytest.param({"q": ""}, 400, id="empty-q"),
    pytest.param({"q": "   \t "}, 400, id="blank-q"),
    pytest.param({}, 422, id="missing-q"),
    pytest.param({"q": "x", "k": 0}, 422, id="k=0"),
    pytest.param({"q": "x", "k": 1000}, 422, id="k=1000"),
    pytest.param({"q": "x", "k": -1}, 422, id="k=-1"),
    pytest.param({"q": "x", "k": "ten"}, 422, id="k-not-int"),
    pytest.param({"q": "x" * 10_240}, (400, 413, 414, 422), id="q-10kB"),
    pytest.param({"q": "x", "offset": -1}, 422, id="offset<0"),
    pytest.param({"q": "x", "mode": "psychic"}, 422, id="bad-mode"),
    pytest.param({"q": "x", "unknown": "1"}, 422, id="unknown-param"),
    pytest.param({"q": "x", "min_score": "nan"}, 422, id="min_score-nan"),
]


@pytest.mark.parametrize(("params", "status"), BAD_GET)
def test_bad_get_search_is_a_clear_4xx(client: TestClient, params: dict[str, Any], status: int) -> None:
    body = assert_error_shape(client.get("/search", params=params), status)
    if status == 422:
        assert body["code"] == "validation_error" and isinstance(body["detail"], list)


BAD_POST = [
    pytest.param({"q": ""}, 400, id="empty-q"),
    pytest.param({"q": "x", "k": 0}, 422, id="k=0"),
    pytest.param({"q": "x", "k": 1000}, 422, id="k=1000"),
    pytest.param({"q": "x" * 10_240}, (400, 413, 422), id="q-10kB"),
    pytest.param({"q": "x", "unknown": 1}, 422, id="unknown-field"),
    pytest.param({"k": 3}, 422, id="missing-q"),
    pytest.param({"q": None}, 422, id="null-q"),
    pytest.param({"q": 42}, 422, id="number-q"),
    pytest.param(["q", "x"], 422, id="array-body"),
    pytest.param({"q": "x", "k": 2.5}, 422, id="fractional-k"),
]


@pytest.mark.parametrize(("body", "status"), BAD_POST)
def test_bad_post_search_is_a_clear_4xx(client: TestClient, body: Any, status: int) -> None:
    assert_error_shape(client.post("/search", json=body), status)


def test_unknown_field_is_named_in_the_message(client: TestClient) -> None:
    body = assert_error_shape(client.post("/search", json={"q": "x", "colour": "red"}), 422)
    assert "colour" in body["message"]


def test_empty_q_message_names_the_field(client: TestClient) -> None:
    body = assert_error_shape(client.get("/search", params={"q": ""}), 400)
    assert body["code"] == "bad_request" and "q" in body["message"]


@pytest.mark.parametrize(("content", "content_type"), [
    (b"{not json", "application/json"),
    (b'{"q": "\xff\xfe"}', "application/json"),
    (b"", "application/json"),
    (b'{"q": "\\ud800 lone surrogate"}', "application/json"),
])
def test_malformed_post_bodies_are_4xx(client: TestClient, content: bytes, content_type: str) -> None:
    r = client.post("/search", content=content, headers={"Content-Type": content_type})
    assert_error_shape(r, (400, 422))


def test_bad_sparql_is_a_400_with_the_parser_message(client: TestClient) -> None:
    body = assert_error_shape(client.get("/sparql", params={"query": "SELECT * WHERE {"}), 400)
    assert body["code"] == "query_syntax_error"


def test_unknown_route_is_a_404_in_the_same_shape(client: TestClient) -> None:
    assert_error_shape(client.get("/no/such/thing"), 404)


def test_search_scores_are_finite(client: TestClient) -> None:
    assert all(math.isfinite(h["score"]) for h in search(client, q="\u0000 \U0001f489", k=5)["hits"])


def test_no_generation_yet_is_a_503_not_a_crash(tmp_path: Path, encoder: Encoder) -> None:
    settings = Settings(articles_dir=tmp_path / "articles", data_dir=tmp_path / "data", base_iri=BASE_IRI,
                        sparql_workers=1, reload_interval=0)
    with TestClient(create_app(settings, encoder=encoder), raise_server_exceptions=False) as c:
        assert c.get("/health").json()["status"] == "empty"
        body = assert_error_shape(c.get("/search", params={"q": QUESTION}), 503)
        assert "make index" in body["message"]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_limit_is_413_before_the_route_runs(seed_settings: Settings, encoder: Encoder,
                                                           chunked: bool) -> None:
    small = seed_settings.model_copy(update={"max_body_bytes": 4096})
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "x" * 8192
    with TestClient(create_app(small, encoder=encoder)) as c:
        content: Any = iter([query[:4000].encode(), query[4000:].encode()]) if chunked else query.encode()
        r = c.post("/sparql", content=content, headers={"Content-Type": "application/sparql-query"})
        body = assert_error_shape(r, 413)
        assert body["code"] == "too_large" and body["detail"]["max_bytes"] == 4096
        r = c.post("/search", json={"q": "x" * 5000})
        assert r.status_code == 413
        ok = c.post("/sparql", content=b"ASK { ?s ?p ?o }", headers={"Content-Type": "application/sparql-query",
                                                                     "Accept": "application/sparql-results+json"})
        assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_openapi_documents_the_sparql_protocol(client: TestClient) -> None:
    """The protocol routes read the raw request; their parameters, bodies and answers are written out
    (found by schemathesis: 400, 415 and the search 400 were undocumented)."""
    paths = client.get("/openapi.json").json()["paths"]
    get, post = paths["/sparql"]["get"], paths["/sparql"]["post"]
    assert {"query", "default-graph-uri", "named-graph-uri", "format"} <= {p["name"] for p in get["parameters"]}
    assert {"application/x-www-form-urlencoded", "application/sparql-query",
            "application/sparql-update"} == set(post["requestBody"]["content"])
    assert {"200", "400", "406", "503"} <= set(get["responses"])
    assert {"200", "204", "400", "403", "406", "413", "415", "503"} <= set(post["responses"])
    assert {"application/sparql-results+json", "text/csv", "text/turtle", "text/html"} <= set(
        get["responses"]["200"]["content"])
    assert {"200", "400", "404", "406"} <= set(paths["/rdf-graph-store"]["get"]["responses"])
    for method in ("get", "post"):
        assert {"400", "422"} <= set(paths["/search"][method]["responses"])
        error = paths["/search"][method]["responses"]["422"]["content"]["application/json"]
        assert set(error["example"]) == {"code", "message", "detail"}
