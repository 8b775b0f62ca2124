"""Bounded work in the build (issue 13): a corpus holding a 5 MB article and a 1 MB line with no
full stop builds in minutes, the line is reported by file with the limit it broke, and the rest
of the corpus builds and answers searches as usual."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from embeddings.encoder import Encoder
from kg.article import parse_article
from tests.conftest import build_corpus
from tests.paths import BASE_IRI, DATA, SEED, SEED_ARTICLE_IRI
from tests.support import SMALL_CORPUS, long_article, open_current, primed_data_dir, run_on_line

LINE_CHARS = 1_048_576
BIG_CHARS = 5_000_000
# Measured on the 2-core development machine: 117 s, 140-190 s with another test run beside it.
# Before the fixes that came with this test the same build had not finished after 17 minutes.
# The bound leaves room for a slower or busier machine and still fails a stage gone quadratic.
BOUND_SECONDS = 420


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_5_mb_article_and_a_1_mb_line_build_in_bounded_time(tmp_path: Path, encoder: Encoder,
                                                              seed_settings: Settings,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SEED, articles / SEED.name)
    for name in SMALL_CORPUS:
        shutil.copy(DATA / name, articles / name)
    big = long_article(BIG_CHARS)
    (articles / "long-guide.txt").write_text(big)
    (articles / "table-dump.txt").write_text(
        f"A Table Dump\n\n{run_on_line(LINE_CHARS)}\n\nMinoxidil treats hair loss.\n\nDr. Jane Doe\n")
    data = primed_data_dir(tmp_path / "build", seed_settings.data_dir)

    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="healthkg.build"):
        report = build_corpus(articles, data, encoder)
    seconds = time.perf_counter() - started
    print(f"built in {seconds:.1f} s: {report.summary()}")
    assert seconds < BOUND_SECONDS, report.summary()

    # Every article built; what went over a limit is reported by file, with the setting's name.
    assert report.articles == 1 + len(SMALL_CORPUS) + 2
    assert all("limit" in e for e in report.errors), report.errors
    over_long = [e for e in report.errors if e["limit"] == "HEALTHKG_MAX_SENTENCE_CHARS"]
    assert [e["file"] for e in over_long] == ["table-dump.txt"]
    line = over_long[0]
    assert line["reason"].startswith(f"sentence of {LINE_CHARS:,} characters exceeds HEALTHKG_MAX_SENTENCE_CHARS")
    assert (line["offset"], line["length"]) == (len("A Table Dump\n\n"), LINE_CHARS)
    assert any("table-dump.txt" in r.getMessage() and "HEALTHKG_MAX_SENTENCE_CHARS" in r.getMessage()
               for r in caplog.records)
    unvalidated = {e["file"] for e in report.errors if e["limit"] == "HEALTHKG_SHACL_MAX_TRIPLES"}
    assert "long-guide.txt" in unvalidated and SEED.name not in unvalidated
    assert report.violations == {}

    with open_current(data, model=encoder.model_id) as gen:
        assert gen.manifest["errors"] == report.errors
        entries = gen.manifest["articles"]
        # The 5 MB article: every sentence indexed, its claims in the graph.
        guide = entries["long-guide"]
        assert guide["sentences"] == len(parse_article(big.encode(), "long-guide.txt").sentences) > 40_000
        assert guide["claims"] > 20_000
        rows = gen.store.select(f"""PREFIX schema: <http://schema.org/>
            SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH <{guide['iri']}> {{ ?c a schema:Claim }} }}""")
        assert int(rows[0]["n"]["value"]) == guide["claims"]
        assert gen.index.meta.count == report.sentences
        # The line: cut into pieces of at most the limit, no claim read from any of them; the
        # sentence after it is an ordinary one.
        dump = entries["table-dump"]
        first, last = line["sentences"]
        assert last - first + 1 >= LINE_CHARS // 2000 and dump["sentences"] == last + 2 + 1
        assert dump["claims"] == 1  # 'Minoxidil treats hair loss.'

    settings = Settings(articles_dir=articles, data_dir=data, base_iri=BASE_IRI, sparql_workers=1)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        # The small articles answer as they would alone (their own words, their own claims).
        seed = search(client, q="is hair botox a deep conditioning treatment for the hair", k=5)
        assert seed["hits"][0]["article"]["iri"] == SEED_ARTICLE_IRI, seed["hits"][0]
        telogen = search(client, q="is shampooing a cause of telogen effluvium", k=5)
        top = telogen["hits"][0]
        assert top["article"]["iri"] == BASE_IRI + "article/telogen-effluvium" and top["claims"], top
        # The line's pieces are found by their words, each hit a piece of at most the limit.
        pieces = search(client, q="row 1234", k=5, mode="bm25")["hits"]
        assert pieces and all(h["article"]["iri"] == dump["iri"] for h in pieces)
        assert "1234" in pieces[0]["text"] and all(len(h["text"]) <= 2000 and not h["claims"] for h in pieces)
        guide_hits = search(client, q="botox dermal fillers", k=10, article=guide["iri"])["hits"]
        assert guide_hits and any(h["claims"] for h in guide_hits)
