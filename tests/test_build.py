"""api.build: generations, incremental encoding, removal, the `current` switch, the manifest."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.build import (
    CURRENT,
    GENERATIONS,
    KEEP_GENERATIONS,
    BuildConfig,
    Builder,
    BuildError,
    BuildReport,
    build_lock,
)
from api.settings import Settings
from embeddings.encoder import Encoder
from kg.article import load_article
from kg.namespaces import Minter
from kg.store import ONTOLOGY_GRAPH, VOCABULARY_GRAPH
from tests.conftest import build_corpus
from tests.paths import BASE_IRI
from tests.support import (
    SMALL_CORPUS,
    cli_env,
    copy_corpus,
    healthkg_command,
    open_current,
    primed_data_dir,
    tmp_generations,
    write_generated_corpus,
)

MINT = Minter(BASE_IRI)
SLUGS = ("botox-vs-dermal-fillers", "telogen-effluvium", "thyroid-iron-hair-loss")


@pytest.fixture
def data_dir(tmp_path: Path, seed_settings: Settings) -> Path:
    """An empty data dir with the seed build's (content-addressed) cache: no vocabulary re-encoding."""
    return primed_data_dir(tmp_path / "data", seed_settings.data_dir)


def build(articles: Path, data_dir: Path, encoder: Encoder, **kw: object) -> BuildReport:
    """One in-process build (SHACL validation off: it is tested on the seed by the API tests)."""
    return build_corpus(articles, data_dir, encoder, validate=False, **kw)


def encoded_since(encoder: Encoder, before: int) -> int:
    return encoder.encoded - before


def current_target(data_dir: Path) -> Path:
    link = data_dir / CURRENT
    assert link.is_symlink()
    return (data_dir / os.readlink(link)).resolve()


def sentence_count(articles: Path) -> dict[str, int]:
    return {p.stem: len(load_article(p).sentences) for p in sorted(articles.iterdir())}


def test_first_build_writes_one_complete_generation(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    articles = copy_corpus(tmp_path / "articles")
    expected = sentence_count(articles)
    before = encoder.encoded
    report = build(articles, data_dir, encoder)
    assert report.errors == []
    assert (report.articles, report.sentences) == (3, sum(expected.values()))
    assert report.encoded == report.sentences
    assert encoded_since(encoder, before) == report.encoded + report.labels_encoded  # minted concepts' labels
    assert report.reused == 0
    assert current_target(data_dir) == (data_dir / GENERATIONS / report.generation).resolve()
    with open_current(data_dir, model=encoder.model_id) as gen:
        counts = gen.manifest["counts"]
        assert counts == {"articles": 3, "sentences": report.sentences, "triples": report.triples,
                          "claims": report.claims}
        assert gen.manifest["generation"] == report.generation
        assert gen.manifest["base_iri"] == BASE_IRI
        assert gen.manifest["index"] == {"kind": "flat", "count": report.sentences}
        assert gen.store.count() == report.triples > 0
        article_iris = {MINT.article(s) for s in SLUGS}
        assert article_iris <= gen.store.graph_iris()
        assert {VOCABULARY_GRAPH, ONTOLOGY_GRAPH} <= gen.store.graph_iris()
        for slug in SLUGS:
            entry = gen.manifest["articles"][slug]
            assert entry["iri"] == MINT.article(slug)
            assert entry["sentences"] == expected[slug]
            assert entry["triples"] == gen.store.count(MINT.article(slug))
        assert gen.index.meta.count == report.sentences
        assert set(gen.index.meta.corpus) == article_iris
        assert set(gen.index.iris.values()) == {MINT.sentence(s, i) for s in SLUGS for i in range(expected[s])}
    assert not list((data_dir / GENERATIONS).glob(".tmp-*"))


def test_unchanged_rebuild_encodes_nothing_and_switches_current(tmp_path: Path, data_dir: Path,
                                                                 encoder: Encoder) -> None:
    articles, data = copy_corpus(tmp_path / "articles"), data_dir
    first = build(articles, data, encoder)
    with open_current(data) as gen:
        first_ids, first_triples = dict(gen.index.iris), gen.store.count()
    first_path = current_target(data)
    calls, before = len(encoder.calls), encoder.encoded

    second = build(articles, data, encoder)

    assert second.encoded == 0
    assert encoded_since(encoder, before) == 0 and len(encoder.calls) == calls
    assert second.reused == second.sentences == first.sentences
    assert second.generation != first.generation
    assert current_target(data) == (data / GENERATIONS / second.generation).resolve() != first_path
    assert first_path.is_dir(), "the previous generation is kept (for readers still on it)"
    with open_current(data, model=encoder.model_id) as gen:
        assert gen.index.iris == first_ids  # stable ids: same sentence, same vector id
        assert gen.store.count() == first_triples == second.triples


def test_changing_one_article_reencodes_only_that_article(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    articles, data = copy_corpus(tmp_path / "articles"), data_dir
    build(articles, data, encoder)
    with open_current(data) as gen:
        untouched = {s: gen.store.count(MINT.article(s)) for s in SLUGS[1:]}
    changed = articles / SMALL_CORPUS[0]
    text = changed.read_text()
    title = text.splitlines()[0]
    changed.write_text(text.replace(title, title + " (updated)", 1).replace(
        "\n\n", "\n\nA brand new sentence was added to this article today.\n\n", 1))
    n_changed = len(load_article(changed).sentences)
    before = encoder.encoded

    report = build(articles, data, encoder)

    assert report.encoded == n_changed
    assert encoded_since(encoder, before) == report.encoded + report.labels_encoded
    assert report.reused == report.sentences - n_changed
    with open_current(data, model=encoder.model_id) as gen:
        rows = gen.store.select(
            f"SELECT ?h WHERE {{ <{MINT.article(SLUGS[0])}> <http://schema.org/headline> ?h }}")
        assert [r["h"]["value"] for r in rows] == [title + " (updated)"], "the graph was replaced whole"
        anchors = gen.store.select(
            "SELECT ?s WHERE { ?s <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#anchorOf> "
            "\"A brand new sentence was added to this article today.\" }")
        assert len(anchors) == 1
        assert {s: gen.store.count(MINT.article(s)) for s in SLUGS[1:]} == untouched
        assert gen.manifest["counts"]["sentences"] == gen.index.meta.count == report.sentences


def test_removing_an_article_drops_its_graph_and_vectors(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    articles, data = copy_corpus(tmp_path / "articles"), data_dir
    first = build(articles, data, encoder)
    removed = MINT.article(SLUGS[2])
    (articles / SMALL_CORPUS[2]).unlink()
    before = encoder.encoded

    report = build(articles, data, encoder)

    assert report.articles == 2 and report.encoded == encoded_since(encoder, before) == 0
    with open_current(data, model=encoder.model_id) as gen:
        assert removed not in gen.store.graph_iris()
        assert gen.store.count(removed) == 0
        assert gen.store.select(f"SELECT ?p WHERE {{ <{removed}> ?p ?o }}") == []
        assert removed not in gen.index.meta.corpus
        assert not [i for i in gen.index.iris.values() if i.startswith(removed + "/")]
        assert gen.index.meta.count == report.sentences < first.sentences
        assert SLUGS[2] not in gen.manifest["articles"]
        assert gen.manifest["counts"]["articles"] == 2
        assert gen.store.count() == report.triples < first.triples


def test_iris_come_from_the_configured_base_iri(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    base = "https://kg.other.example/data/"
    articles, data = copy_corpus(tmp_path / "articles"), data_dir
    build(articles, data, encoder)
    report = Builder(BuildConfig(articles, data, base, validate=False), encoder).run()
    minted = Minter(base)
    with open_current(data, model=encoder.model_id) as gen:
        assert gen.manifest["base_iri"] == base
        graphs = gen.store.graph_iris() - {VOCABULARY_GRAPH, ONTOLOGY_GRAPH}
        assert graphs == {minted.article(s) for s in SLUGS}, "no graph is left under the old base IRI"
        assert all(i.startswith(base + "article/") for i in gen.index.iris.values())
        assert len(gen.index.iris) == report.sentences
        rows = gen.store.select(f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s) && "
                                f"?g != <{VOCABULARY_GRAPH}> && ?g != <{ONTOLOGY_GRAPH}>) }}")
        subjects = {r["s"]["value"] for r in rows}
        assert subjects and all(s.startswith((base, "https://w3id.org/healthkg/")) for s in subjects), sorted(
            s for s in subjects if not s.startswith((base, "https://w3id.org/healthkg/")))
        assert not [s for s in subjects if "127.0.0.1" in s or "localhost" in s or s.startswith(BASE_IRI)]


def test_old_generations_are_pruned(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    articles, data = copy_corpus(tmp_path / "articles", SMALL_CORPUS[:1]), data_dir
    reports = [build(articles, data, encoder) for _ in range(KEEP_GENERATIONS + 2)]
    kept = sorted(p.name for p in (data / GENERATIONS).iterdir())
    assert kept == sorted(r.generation for r in reports[-KEEP_GENERATIONS:])
    assert current_target(data).name == reports[-1].generation


def test_a_second_build_at_the_same_time_is_refused(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    articles, data = copy_corpus(tmp_path / "articles", SMALL_CORPUS[:1]), data_dir
    with build_lock(data), pytest.raises(BuildError, match="another build"):
        build(articles, data, encoder)
    assert not (data / CURRENT).exists()


def test_missing_articles_directory_is_a_build_error(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    with pytest.raises(BuildError, match="not found"):
        build(tmp_path / "nowhere", data_dir, encoder)


def wait_for_tmp_store(data_dir: Path, process: subprocess.Popen[bytes], timeout: float = 180) -> Path:
    """The ``.tmp-*`` generation of a running build, once its graph store is being written."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [t for t in tmp_generations(data_dir) if (t / "store").is_dir()]
        if found:
            return found[0]
        assert process.poll() is None, "the build ended before it wrote a new generation"
        time.sleep(0.05)
    raise AssertionError("no .tmp-* generation appeared")


@pytest.mark.slow
def test_a_build_killed_mid_way_leaves_the_previous_generation_serving(tmp_path: Path, data_dir: Path,
                                                                      encoder: Encoder) -> None:
    articles = copy_corpus(tmp_path / "articles")
    first = build(articles, data_dir, encoder)
    link = os.readlink(data_dir / CURRENT)
    write_generated_corpus(articles, count=12, sentences=2)  # new articles: the build must extract and encode
    log = tmp_path / "build.log"
    with log.open("wb") as out:
        process = subprocess.Popen(healthkg_command() + ["build", str(articles), "--quiet"],
                                   env=cli_env(data_dir, articles), stdout=out, stderr=subprocess.STDOUT)
    try:
        leftover = wait_for_tmp_store(data_dir, process)
        assert process.poll() is None, "the build finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    assert process.returncode == -signal.SIGKILL, log.read_text(errors="replace")

    # The previous generation is untouched, loadable and still the one served.
    assert os.readlink(data_dir / CURRENT) == link
    assert leftover.is_dir()
    with open_current(data_dir, model=encoder.model_id) as gen:
        assert gen.manifest["generation"] == first.generation
        assert gen.index.meta.count == first.sentences
        assert gen.store.count() == first.triples
    settings = Settings(articles_dir=articles, data_dir=data_dir, base_iri=BASE_IRI, sparql_workers=1)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        assert client.get("/health").json()["generation"] == first.generation
        hits = client.get("/search", params={"q": "dermal fillers", "k": 3}).json()["hits"]
        assert hits and all(h["article"]["iri"] in {MINT.article(s) for s in SLUGS} for h in hits)

    # The next build succeeds, switches over and clears the leftover.
    report = build(articles, data_dir, encoder)
    assert report.articles == 3 + 12 and not report.errors
    assert not leftover.exists() and not tmp_generations(data_dir)
    assert current_target(data_dir).name == report.generation
    with open_current(data_dir, model=encoder.model_id) as gen:
        assert gen.index.meta.count == report.sentences
        assert MINT.article("generated-0011") in gen.store.graph_iris()


def test_minted_concepts_are_in_the_generations_label_table(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    """A query can only link a concept whose label the generation holds: minted ones too."""
    import json

    import numpy as np

    from api.answer import link_query

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "m.txt").write_text("Frobnitis\n\nHair loss can be caused by frobnitis.\n")
    report = build(articles, data_dir, encoder)
    concepts = current_target(data_dir) / "concepts"
    labels = json.loads((concepts / "labels.json").read_text())
    minted = [(iri, label) for iri, label in labels if iri.startswith(BASE_IRI)]
    assert any(label == "frobnitis" for _, label in minted), minted
    assert np.load(concepts / "vectors.npy").shape[0] == len(labels)
    assert report.labels_encoded == len(minted)
    settings = Settings(articles_dir=articles, data_dir=data_dir, base_iri=BASE_IRI, sparql_workers=1)
    app = create_app(settings, encoder=encoder)
    with TestClient(app):
        linked = link_query("can frobnitis make my hair fall out", app.state.hk.current(), encoder, None)
    assert any(c["matched"].lower() == "frobnitis" and c["how"] == "label" for c in linked), linked
    report = build(articles, data_dir, encoder)
    assert report.labels_encoded == 0  # cached by label


def test_a_symlink_out_of_the_corpus_is_reported_and_never_published(tmp_path: Path, data_dir: Path,
                                                                     encoder: Encoder) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "m.txt").write_text("Minoxidil\n\nMinoxidil treats hair loss.\n")
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (articles / "passwd.txt").symlink_to(secret)
    (articles / "x.txt").mkdir()
    report = build(articles, data_dir, encoder)
    assert report.articles == 1
    reasons = {e["file"]: e["reason"] for e in report.errors}
    assert set(reasons) == {"passwd.txt", "x.txt"} and "outside the articles directory" in reasons["passwd.txt"]
    with open_current(data_dir, model=encoder.model_id) as gen:
        assert MINT.article("passwd") not in gen.store.graph_iris()


def test_a_new_sentence_splitter_never_reuses_vectors_of_the_old_sentences(
        tmp_path: Path, data_dir: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    """The vector cache is keyed by the sentences, not the file: after an upgrade that segments
    an unchanged article differently, the build re-encodes it instead of failing (or pairing
    vectors with the wrong sentences)."""
    import kg.article
    from api.build import BuildConfig, Builder
    from kg.extract import Extractor
    from kg.text import Span

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.txt").write_text("Title\n\nIt isn't. Minoxidil treats hair loss. Stress causes acne.\n")
    first = build(articles, data_dir, encoder)

    def one_per_paragraph(text: str, begin: int = 0, end: int | None = None) -> list[Span]:
        end = len(text) if end is None else end
        return [Span(begin, end, text[begin:end])]

    monkeypatch.setattr(kg.article, "split_sentences", one_per_paragraph)
    extractor = Extractor.default()
    extractor.fingerprint += "-new-splitter"  # what a changed kg/text.py does to the fingerprint
    report = Builder(BuildConfig(articles, data_dir, BASE_IRI), encoder, extractor=extractor).run()
    assert report.sentences < first.sentences and report.encoded == report.sentences
    with open_current(data_dir, model=encoder.model_id) as gen:
        assert gen.index.meta.count == report.sentences
