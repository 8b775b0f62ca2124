"""Entities, claims, articles and linked data: the resource routes on the real app and seed graph."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from api.app import create_app
from api.resource_queries import PREDICATES, lexical_score, looks_like_iri, normalise_label, predicate_iri
from api.resources import Linker, build_resource_router, page_media_type
from api.settings import Settings
from embeddings.encoder import Encoder
from kg.errors import BadRequest, NotAcceptable
from kg.namespaces import BIOLINK, HK, HKC, SCHEMA
from tests.paths import BASE_IRI, SEED_ARTICLE_IRI
from tests.support import assert_error_shape

HAIR_BOTOX = str(HKC["hair-botox"])
BOTOX = str(HKC["botox-injection"])
HAIR_LOSS = str(HKC["hair-loss"])
WRINKLES = str(HKC["wrinkles"])
CAUSES = str(BIOLINK.causes)
TREATS = str(BIOLINK.treats)
AUTHOR_IRI = BASE_IRI + "person/olivia-thompson"
NOT_CAUSE = "Botox injections do not cause hair loss"
TTL, JSONLD, NT, HTML = "text/turtle", "application/ld+json", "application/n-triples", "text/html"


@pytest.fixture(scope="module")
def client(seed_settings: Settings, encoder: Encoder) -> Iterator[TestClient]:
    app = create_app(seed_settings, encoder=encoder)
    if not any(getattr(r, "path", None) == "/entities" for r in app.routes):  # until app.py mounts it
        app.include_router(build_resource_router(app.state.hk))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def get_json(client: TestClient, url: str, **params: Any) -> Any:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def triples(claims: list[dict[str, Any]]) -> set[tuple[str, str, str, bool]]:
    return {(c["subject"], c["predicate"], c["object"], c["negated"]) for c in claims}


# --------------------------------------------------------------------------------------
# Pure helpers, by tables

@pytest.mark.parametrize("ref, iri", [
    ("causes", CAUSES), ("Causes", CAUSES), ("treats", TREATS), ("prevents", str(BIOLINK.prevents)),
    ("contains", str(HK.contains)), ("distinctFrom", str(HK.distinctFrom)), ("distinctfrom", str(HK.distinctFrom)),
    ("hasMechanism", str(HK.hasMechanism)), ("recommendsConsulting", str(HK.recommendsConsulting)),
    ("biolink:causes", CAUSES), ("hk:contains", str(HK.contains)), (CAUSES, CAUSES), (f" {TREATS} ", TREATS),
])
def test_predicate_names_and_iris(ref: str, iri: str) -> None:
    assert predicate_iri(ref) == iri


@pytest.mark.parametrize("ref", ["cures", "", "nope:causes", "causes treats", "http://x/a b", "http://x/<a>"])
def test_unknown_predicates_are_bad_requests(ref: str) -> None:
    with pytest.raises(BadRequest):
        predicate_iri(ref)


def test_every_short_predicate_name_round_trips() -> None:
    assert all(predicate_iri(name) == iri for name, iri in PREDICATES.items())


@pytest.mark.parametrize("query, label, score", [
    ("hair loss", "hair loss", 1.0), ("Hair-Loss", "hair loss", 1.0), ("hair", "hair loss", 0.9),
    ("loss", "hair loss", 0.85), ("air", "hair loss", 0.8), ("baldness", "hair loss", 0.0), ("", "hair loss", 0.0),
])
def test_lexical_score(query: str, label: str, score: float) -> None:
    assert lexical_score(normalise_label(query), normalise_label(label)) == score


@pytest.mark.parametrize("ref, expected", [
    (HAIR_LOSS, True), ("urn:x:y", True), ("hair-loss", False), ("hair loss", False), ("biolink:causes", False),
])
def test_looks_like_iri(ref: str, expected: bool) -> None:
    assert looks_like_iri(ref) is expected


@pytest.mark.parametrize("accept, fmt, media", [
    (None, None, TTL), ("*/*", None, TTL), ("text/html", None, HTML),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, HTML),
    ("application/xhtml+xml", None, HTML), ("text/turtle", None, TTL), ("application/x-turtle", None, TTL),
    ("application/ld+json", None, JSONLD), ("application/json", None, JSONLD), ("text/plain", None, NT),
    ("application/n-triples", None, NT), ("application/rdf+xml", None, "application/rdf+xml"),
    ("text/turtle;q=0.5, application/ld+json", None, JSONLD), ("text/html", "ttl", TTL),
    (None, "jsonld", JSONLD), (None, "html", HTML), (None, "text/turtle", TTL),
])
def test_page_media_type(accept: str | None, fmt: str | None, media: str) -> None:
    assert page_media_type(accept, fmt) == media


@pytest.mark.parametrize("accept, fmt", [("image/png", None), ("text/turtle;q=0", None), (None, "pdf")])
def test_page_media_type_refuses(accept: str | None, fmt: str | None) -> None:
    with pytest.raises(NotAcceptable):
        page_media_type(accept, fmt)


@pytest.mark.parametrize("iri, link", [
    (SEED_ARTICLE_IRI, "/article/botox-hair-loss"), (AUTHOR_IRI, "/person/olivia-thompson"),
    (SEED_ARTICLE_IRI + "/claim/0#target", "/article/botox-hair-loss/claim/0#target"),
    (HAIR_LOSS, "/concept/hair-loss"), (BASE_IRI + "concept/x", "/concept/x"),
    (CAUSES, None), (BASE_IRI + "other/x", None), ("https://w3id.org/healthkg/ontology#Asserted", None),
])
def test_linker_maps_minted_and_vocabulary_iris_to_this_server(iri: str, link: str | None) -> None:
    assert Linker(BASE_IRI, "").local(iri) == link


# --------------------------------------------------------------------------------------
# /entities

def test_entities_exact_label_first(client: TestClient) -> None:
    body = get_json(client, "/entities", q="Botox")
    first, second = body["entities"][:2]
    assert first["iri"] == BOTOX and first["score"] == 1.0
    assert first["matched"] == {"label": "Botox", "by": "exact"}
    assert "http://id.nlm.nih.gov/mesh/D019274" in first["external_ids"]
    assert "http://schema.org/MedicalProcedure" in first["types"]
    assert second["iri"] == HAIR_BOTOX and second["matched"]["by"] == "prefix"
    scores = [e["score"] for e in body["entities"]]
    assert scores == sorted(scores, reverse=True)


def test_entities_paraphrase_by_label_embeddings(client: TestClient) -> None:
    body = get_json(client, "/entities", q="make your hair fall out", k=3)
    assert len(body["entities"]) == 3
    top = body["entities"][0]
    assert top["iri"] == HAIR_LOSS and top["label"] == "hair loss"
    assert top["matched"]["by"] == "embedding" and 0.5 < top["score"] < 1
    assert "http://id.nlm.nih.gov/mesh/D000505" in top["external_ids"]


def test_entities_case_insensitive_and_substring(client: TestClient) -> None:
    assert get_json(client, "/entities", q="HAIR LOSS")["entities"][0]["iri"] == HAIR_LOSS
    hits = get_json(client, "/entities", q="crow", k=20)["entities"]
    assert str(HKC["crows-feet"]) in [h["iri"] for h in hits]


@pytest.mark.parametrize("params, status", [
    ({"q": ""}, 400), ({"q": "   "}, 400), ({"q": "x" * 10_000}, 400), ({}, 422),
    ({"q": "hair", "k": 0}, 422), ({"q": "hair", "k": 1000}, 422), ({"q": "hair", "k": "many"}, 422),
])
def test_entities_bad_input(client: TestClient, params: dict[str, Any], status: int) -> None:
    assert_error_shape(client.get("/entities", params=params), status)


# --------------------------------------------------------------------------------------
# /entities/{id}

def test_entity_hair_botox_never_shows_the_injections_claims(client: TestClient) -> None:
    body = get_json(client, "/entities/hair-botox")
    assert body["iri"] == HAIR_BOTOX and body["label"] == "hair Botox"
    assert "Botox for hair" in body["alt_labels"]
    all_claims = body["claims"]["as_subject"] + body["claims"]["as_object"]
    assert all_claims, "hair Botox has claims of its own (distinct from, contains)"
    assert all(HAIR_BOTOX in (c["subject"], c["object"]) for c in all_claims)
    assert not any(c["predicate"] == CAUSES for c in body["claims"]["as_subject"])
    assert (BOTOX, TREATS, WRINKLES, False) not in triples(all_claims)
    assert not any(c["subject"] == BOTOX for c in all_claims)
    assert (HAIR_BOTOX, str(HK.distinctFrom), BOTOX, False) in triples(body["claims"]["as_subject"])
    assert [b["iri"] for b in body["broader"]] == [str(HKC["deep-conditioning"])]
    assert body["page"] == "/concept/hair-botox"


def test_entity_botox_injection_has_its_denial_with_exact_provenance(client: TestClient) -> None:
    body = get_json(client, "/entities/" + quote(BOTOX, safe=""))
    assert body["iri"] == BOTOX
    assert "http://id.nlm.nih.gov/mesh/D019274" in body["external_ids"]
    own = body["claims"]["as_subject"]
    denied = [c for c in own if c["predicate"] == CAUSES and c["object"] == HAIR_LOSS]
    assert denied and all(c["negated"] is True for c in denied)
    assert (BOTOX, TREATS, WRINKLES, False) in triples(own)
    text = stored_text(client)
    for c in own:
        p = c["provenance"]
        assert text[p["offsets"][0]:p["offsets"][1]] == p["quote"]
        assert p["article"] == SEED_ARTICLE_IRI and p["author"] == "Olivia Thompson"
        assert c["subject_label"] == "Botox injection" and c["predicate_name"] in PREDICATES
    assert any(NOT_CAUSE in c["provenance"]["quote"] for c in denied)
    assert [c["subject"] for c in body["claims"]["as_object"]] == [HAIR_BOTOX]


def test_entity_by_label_and_hair_loss_claims_as_object(client: TestClient) -> None:
    body = get_json(client, "/entities/hair loss")
    assert body["iri"] == HAIR_LOSS
    assert {"http://id.nlm.nih.gov/mesh/D000505", "http://purl.obolibrary.org/obo/DOID_987"} <= set(
        body["external_ids"])
    assert (BOTOX, CAUSES, HAIR_LOSS, True) in triples(body["claims"]["as_object"])
    assert all(c["object"] == HAIR_LOSS for c in body["claims"]["as_object"])


@pytest.mark.parametrize("ref", ["no-such-concept", quote("https://w3id.org/healthkg/concept/nope", safe=""),
                                 "no such label"])
def test_unknown_entity_is_404(client: TestClient, ref: str) -> None:
    body = assert_error_shape(client.get(f"/entities/{ref}"), 404)
    assert body["code"] == "not_found"


def stored_text(client: TestClient) -> str:
    """The seed article's text snapshot, through the linked-data page of its text resource."""
    g = Graph().parse(data=client.get("/article/botox-hair-loss/text", headers={"Accept": TTL}).text, format="turtle")
    value = g.value(URIRef(SEED_ARTICLE_IRI + "/text"),
                    URIRef("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#isString"))
    assert value is not None
    return str(value)


# --------------------------------------------------------------------------------------
# /claims

@pytest.mark.parametrize("subject", ["Botox", "botox-injection", BOTOX, "botox injections"])
def test_claims_subject_by_label_slug_or_iri(client: TestClient, subject: str) -> None:
    body = get_json(client, "/claims", subject=subject, predicate="causes", object="hair loss")
    assert body["filters"]["subject"] == [BOTOX] and body["filters"]["predicate"] == CAUSES
    assert body["total"] == len(body["claims"]) >= 1
    assert triples(body["claims"]) == {(BOTOX, CAUSES, HAIR_LOSS, True)}


def test_claims_negated_filter_and_polarity(client: TestClient) -> None:
    denied = get_json(client, "/claims", negated="true")["claims"]
    affirmed = get_json(client, "/claims", negated="false")["claims"]
    assert denied and affirmed
    assert all(c["negated"] is True for c in denied) and all(c["negated"] is False for c in affirmed)
    assert (BOTOX, CAUSES, HAIR_LOSS, True) in triples(denied)
    assert all(c["negated"] is False for c in get_json(client, "/claims", subject="genetics")["claims"])


def test_claims_pagination_is_stable_and_complete(client: TestClient) -> None:
    everything = get_json(client, "/claims", limit=1000)
    pages = [get_json(client, "/claims", limit=3, offset=o) for o in range(0, everything["total"] + 3, 3)]
    assert all(p["total"] == everything["total"] for p in pages)
    assert [c["iri"] for p in pages for c in p["claims"]] == [c["iri"] for c in everything["claims"]]
    assert len({c["iri"] for c in everything["claims"]}) == everything["total"] > 10


def test_claims_by_article_and_predicate_iri(client: TestClient) -> None:
    body = get_json(client, "/claims", article="botox-hair-loss", predicate=TREATS)
    assert body["claims"] and {c["predicate"] for c in body["claims"]} == {TREATS}
    assert {c["provenance"]["article"] for c in body["claims"]} == {SEED_ARTICLE_IRI}
    assert get_json(client, "/claims", article="another-article")["total"] == 0


def test_unknown_predicate_is_400(client: TestClient) -> None:
    body = assert_error_shape(client.get("/claims", params={"predicate": "cures"}), 400)
    assert body["code"] == "bad_request" and "causes" in body["detail"]["known"]


@pytest.mark.parametrize("params, status", [
    ({"subject": "no-such-concept"}, 404), ({"object": "no such thing"}, 404), ({"negated": "perhaps"}, 422),
    ({"limit": 0}, 422), ({"offset": -1}, 422), ({"subject": "http://x/<bad>"}, 400),
])
def test_claims_bad_input(client: TestClient, params: dict[str, Any], status: int) -> None:
    assert_error_shape(client.get("/claims", params=params), status)


# --------------------------------------------------------------------------------------
# /articles

def test_articles_list(client: TestClient) -> None:
    body = get_json(client, "/articles")
    assert body["total"] == 1
    (article,) = body["articles"]
    assert article["iri"] == SEED_ARTICLE_IRI and article["slug"] == "botox-hair-loss"
    assert article["title"].startswith("Hair Loss: The Botox Connection")
    assert article["author"] == {"iri": AUTHOR_IRI, "name": "Olivia Thompson"}
    assert article["counts"]["sentences"] == 21
    assert article["counts"]["claims"] == get_json(client, "/claims", limit=1000)["total"]
    assert article["counts"]["negated_claims"] == get_json(client, "/claims", negated="true")["total"] >= 1


def test_article_detail_author_and_sentences(client: TestClient) -> None:
    body = get_json(client, "/articles/botox-hair-loss")
    author = body["author"]
    assert author["name"] == "Olivia Thompson" and author["honorific_prefix"] == "Dr."
    assert author["years_of_experience"] == 12 and "Botox treatments" in author["specialties"]
    assert author["bio"].startswith("Dr. Olivia Thompson is a skilled dermatologist")
    sentences = body["sentences"]
    assert [s["index"] for s in sentences] == list(range(21))
    assert sentences[0]["section"] == "title" and {"body", "bio"} <= {s["section"] for s in sentences}
    text = stored_text(client)
    assert all(text[s["offsets"][0]:s["offsets"][1]] == s["text"] for s in sentences)
    assert any(NOT_CAUSE in s["text"] for s in sentences)


def test_unknown_article_is_404(client: TestClient) -> None:
    assert assert_error_shape(client.get("/articles/no-such-article"), 404)["code"] == "not_found"


# --------------------------------------------------------------------------------------
# Linked data: the minted IRIs dereference here

def rdf(client: TestClient, path: str, media: str, fmt: str) -> Graph:
    r = client.get(path, headers={"Accept": media})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert r.headers["vary"] == "Accept"
    return Graph().parse(data=r.text, format=fmt)


def test_claim_as_turtle_has_its_triples_and_its_selectors(client: TestClient) -> None:
    claim = URIRef(SEED_ARTICLE_IRI + "/claim/0")
    g = rdf(client, "/article/botox-hair-loss/claim/0", TTL, "turtle")
    assert (claim, RDF.subject, URIRef(BOTOX)) in g
    assert (claim, RDF.predicate, URIRef(CAUSES)) in g
    assert (claim, RDF.object, URIRef(HAIR_LOSS)) in g
    assert (claim, BIOLINK.negated, Literal(True)) in g
    assert (claim, RDF.type, SCHEMA.Claim) in g
    oa = "http://www.w3.org/ns/oa#"
    target = g.value(claim, URIRef(oa + "hasTarget"))
    selectors = set(g.objects(target, URIRef(oa + "hasSelector")))
    assert len(selectors) == 2, "the claim's target and its selectors come with it"
    quote_text = [g.value(s, URIRef(oa + "exact")) for s in selectors if g.value(s, URIRef(oa + "exact"))]
    assert quote_text and NOT_CAUSE in str(quote_text[0])
    assert not list(g.triples((URIRef(BOTOX), None, None))), "only the claim's own description"


def test_concept_as_json_ld_and_n_triples(client: TestClient) -> None:
    concept = URIRef(HAIR_LOSS)
    g = rdf(client, "/concept/hair-loss", JSONLD, "json-ld")
    assert (concept, SKOS.prefLabel, Literal("hair loss", lang="en")) in g
    assert (concept, SKOS.exactMatch, URIRef("http://id.nlm.nih.gov/mesh/D000505")) in g
    assert (concept, RDF.type, SCHEMA.MedicalCondition) in g
    assert set(rdf(client, "/concept/hair-loss", NT, "nt")) == set(g)


def test_person_and_sentence_as_turtle(client: TestClient) -> None:
    person = URIRef(AUTHOR_IRI)
    g = rdf(client, "/person/olivia-thompson", TTL, "turtle")
    assert (person, SCHEMA.name, Literal("Olivia Thompson")) in g
    assert (person, HK.yearsOfExperience, Literal(12)) in g
    sentence = URIRef(SEED_ARTICLE_IRI + "/sentence/2")
    g = rdf(client, "/article/botox-hair-loss/sentence/2", TTL, "turtle")
    nif = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
    assert NOT_CAUSE in str(g.value(sentence, URIRef(nif + "anchorOf")))
    assert (sentence, URIRef("http://purl.org/dc/terms/isPartOf"), URIRef(SEED_ARTICLE_IRI)) in g


def test_article_as_html_escapes_and_links_to_this_server(client: TestClient) -> None:
    r = client.get("/article/botox-hair-loss", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith(HTML)
    assert r.headers["vary"] == "Accept"
    page = r.text
    assert "<title>Hair Loss: The Botox Connection" in page
    assert 'href="/person/olivia-thompson"' in page and 'href="/article/botox-hair-loss/sentence/2"' in page
    assert 'href="http://schema.org/Article"' in page
    assert "<script" not in page
    for link in sorted(set(re.findall(r'href="(/(?:article|person|concept)/[^"#?]+)"', page)))[:12]:
        assert client.get(link, headers={"Accept": "text/html"}).status_code == 200, link


def test_concept_html_escapes_literals_and_lists_referrers(client: TestClient) -> None:
    page = client.get("/concept/hair-botox", params={"format": "html"}).text
    assert "<h1>hair Botox</h1>" in page
    assert "Referenced by" in page and 'href="/article/botox-hair-loss/claim/8"' in page
    quoted = client.get("/article/botox-hair-loss/sentence/8", headers={"Accept": HTML}).text
    assert "&quot;hair Botox&quot;" in quoted and '"hair Botox"' not in quoted


def test_format_parameter_overrides_accept(client: TestClient) -> None:
    r = client.get("/person/olivia-thompson", params={"format": "jsonld"}, headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith(JSONLD)
    assert (URIRef(AUTHOR_IRI), SCHEMA.name, Literal("Olivia Thompson")) in Graph().parse(data=r.text, format="json-ld")


@pytest.mark.parametrize("path", ["/person/nobody", "/article/no-such-article", "/article/botox-hair-loss/claim/999",
                                  "/concept/no-such-concept"])
def test_resource_without_triples_is_404(client: TestClient, path: str) -> None:
    body = assert_error_shape(client.get(path, headers={"Accept": TTL}), 404)
    assert body["detail"]["iri"].startswith(BASE_IRI)


@pytest.mark.parametrize("accept, fmt", [("image/png", None), ("application/pdf, text/csv", None), (None, "docx")])
def test_resource_in_no_acceptable_format_is_406(client: TestClient, accept: str | None, fmt: str | None) -> None:
    r = client.get("/concept/hair-loss", headers={"Accept": accept} if accept else {},
                   params={"format": fmt} if fmt else {})
    body = assert_error_shape(r, 406)
    assert body["code"] == "not_acceptable" and TTL in body["detail"]["available"]


# --------------------------------------------------------------------------------------
# OpenAPI

def test_openapi_documents_every_resource_route_with_examples(client: TestClient) -> None:
    paths = get_json(client, "/openapi.json")["paths"]
    for path in ("/entities", "/entities/{entity_id}", "/claims", "/articles", "/articles/{slug}",
                 "/article/{rest}", "/person/{slug}", "/concept/{slug}"):
        operation = paths[path]["get"]
        responses = operation["responses"]
        assert any("example" in media for media in responses["200"]["content"].values()), path
        errors = [code for code in responses if code.startswith("4")]
        assert errors, path
        for code in errors:
            example = responses[code]["content"]["application/json"].get("example")
            assert example is None or set(example) == {"code", "message", "detail"}, (path, code)
    assert "406" in paths["/concept/{slug}"]["get"]["responses"]
    assert "400" in paths["/claims"]["get"]["responses"]
    assert "400" in paths["/entities/{entity_id}"]["get"]["responses"]


# --------------------------------------------------------------------------------------
# Found by the schemathesis run (tests/test_api_fuzz.py)

@pytest.mark.parametrize("iri, ok", [
    ("https://healthkg.test/article/a", True), ("https://healthkg.test/caf\u00e9", True),
    ("https://healthkg.test/article/\u0082", False), ("https://healthkg.test/a b", False),
    ("https://healthkg.test/a>b", False), ("no-scheme", False), ("", False),
])
def test_is_iri(iri: str, ok: bool) -> None:
    from api.graphdata import is_iri

    assert is_iri(iri) is ok


@pytest.mark.parametrize("path, status", [
    ("/article/%C2%82%F3%B9%B0%95", 404), ("/person/%C2%82", 404), ("/concept/%C2%82", 404),
    ("/articles/%C2%82", 404), ("/entities/https%3A%2F%2Fx.test%2F%C2%82", 400)])
def test_a_path_that_can_be_no_iri(client: TestClient, path: str, status: int) -> None:
    """A C1 control character passed the IRI check and reached the engine as a query_syntax_error;
    a resource path naming no possible IRI names nothing (404), an entity id that is a bad IRI is 400."""
    body = assert_error_shape(client.get(path), status)
    assert body["code"] != "query_syntax_error"


def test_articles_offset_is_bounded(client: TestClient) -> None:
    """An offset past 64 bits went into the query text: 400 query_syntax_error instead of 422."""
    body = assert_error_shape(client.get("/articles", params={"offset": 10**30}), 422)
    assert body["code"] == "validation_error"
