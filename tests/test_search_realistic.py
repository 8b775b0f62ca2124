"""Search and answers on the realistic development set (tests/data/realistic): the labelled
queries were graded by reading the articles before any search ran; a third is held out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.evaluate_search import evaluate_search, format_table
from api.search import SearchService
from api.settings import Settings
from embeddings.encoder import Encoder
from tests.conftest import build_corpus
from tests.paths import BASE_IRI, DATA
from tests.support import primed_data_dir

REALISTIC = DATA / "realistic"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, seed_settings: Settings) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("realistic-search")
    articles = root / "articles"
    articles.mkdir()
    for part in ("tune", "heldout"):
        for p in (REALISTIC / part).iterdir():
            if p.suffix in (".md", ".txt"):
                (articles / p.name).write_bytes(p.read_bytes())
    data = primed_data_dir(root / "build", seed_settings.data_dir)
    build_corpus(articles, data, encoder, validate=False)
    settings = Settings(articles_dir=articles, data_dir=data, base_iri=BASE_IRI, sparql_workers=1)
    app = create_app(settings, encoder=encoder)
    with TestClient(app):
        service = SearchService(app.state.hk)
        return {part: evaluate_search(service, REALISTIC / f"queries.{part}.json", BASE_IRI)
                for part in ("tune", "heldout")}


def test_the_labelled_queries_name_sentences_that_exist() -> None:
    from kg.article import load_article

    texts = {}
    for part in ("tune", "heldout"):
        for p in (REALISTIC / part).iterdir():
            if p.suffix in (".md", ".txt"):
                a = load_article(p)
                texts.update({f"{a.slug}/{s.index}": s.span.text for s in a.sentences})
    queries = [q for part in ("tune", "heldout")
               for q in json.loads((REALISTIC / f"queries.{part}.json").read_text())["queries"]]
    assert len(queries) >= 60 and sum(q["group"] == "denial" for q in queries) >= 15
    for q in queries:
        assert set(q["grades"]) == set(q["texts"]) and q["grades"], q["id"]
        assert all(texts.get(i) == t for i, t in q["texts"].items()), q["id"]


@pytest.mark.parametrize("part", ["tune", "heldout"])
def test_hybrid_is_at_least_dense_and_no_denial_is_answered_supported(reports: dict[str, Any], part: str) -> None:
    report = reports[part]
    modes = report["modes"]
    assert modes["hybrid"]["ndcg@10"] >= modes["dense"]["ndcg@10"], format_table(report)
    assert report["verdicts"]["denied_answered_supported"] == 0, format_table(report)
    assert report["linking"]["recall"] >= 0.7, format_table(report)


def test_a_relevant_sentence_is_found_by_its_text_when_its_id_moved() -> None:
    """Re-segmentation shifts ids; the labelled text still finds its sentence."""
    from api.evaluate_search import resolve_grades

    class Reader:
        def sentences(self, iris: list[str]) -> dict[str, dict[str, Any]]:
            at = {f"{BASE_IRI}article/a/sentence/{n}": {"text": t} for n, t in enumerate(["x", "y", "moved"])}
            return {i: at[i] for i in iris if i in at}

    class State:
        def reader(self) -> Reader:
            return Reader()

    class Service:
        state = State()

    q = {"grades": {"a/0": 2, "a/1": 1}, "texts": {"a/0": "moved", "a/1": "y"}}
    grades = resolve_grades(Service(), q, BASE_IRI)  # type: ignore[arg-type]
    assert grades == {f"{BASE_IRI}article/a/sentence/2": 2, f"{BASE_IRI}article/a/sentence/1": 1}
