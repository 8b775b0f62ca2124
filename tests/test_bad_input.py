"""A build that meets bad articles: each reported by name and reason, the rest still builds.

In process (BuildReport, manifest) and through the `healthkg build` CLI (stderr, exit code,
`--strict`). The API's bad-input cases are in tests/test_api.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.build import CURRENT
from api.settings import Settings
from embeddings.encoder import Encoder
from kg.errors import ArticleError
from tests.conftest import build_corpus
from tests.paths import BASE_IRI
from tests.support import SMALL_CORPUS, cli_env, copy_corpus, open_current, primed_data_dir, run_cli, tmp_generations

GOOD = SMALL_CORPUS[0]
GOOD_SLUG = Path(GOOD).stem

# file name -> (bytes, a word the reason must contain)
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "empty"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    "latin1.txt": ("Caf\u00e9 cr\u00e8me\n\nUne phrase en Latin-1.\n".encode("latin-1"), "UTF-8"),
    "unclosed-front-matter.md": (b"---\ntitle: A heading\n\nThe second --- line is missing.\n", "front matter"),
}


@pytest.fixture
def data_dir(tmp_path: Path, seed_settings: Settings) -> Path:
    """An empty data dir with the seed build's (content-addressed) cache: no vocabulary re-encoding."""
    return primed_data_dir(tmp_path / "data", seed_settings.data_dir)


def write_bad_files(articles: Path) -> None:
    for name, (data, _) in BAD_FILES.items():
        (articles / name).write_bytes(data)


def assert_reported(errors: list[dict[str, str]]) -> None:
    by_file = {e["file"]: e["reason"] for e in errors}
    assert set(by_file) == set(BAD_FILES), by_file
    for name, (_, word) in BAD_FILES.items():
        assert word.lower() in by_file[name].lower(), (name, by_file[name])


def test_bad_articles_are_reported_and_the_rest_builds(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    articles = copy_corpus(tmp_path / "articles", (GOOD,))
    write_bad_files(articles)
    report = build_corpus(articles, data_dir, encoder, validate=False)
    assert_reported(report.errors)
    assert report.articles == 1 and report.sentences > 0
    assert f"{len(BAD_FILES)} failed" in report.summary()
    with open_current(data_dir, model=encoder.model_id) as gen:
        assert_reported(gen.manifest["errors"])
        assert list(gen.manifest["articles"]) == [GOOD_SLUG]
        assert gen.index.meta.count == report.sentences
        assert f"{BASE_IRI}article/{GOOD_SLUG}" in gen.store.graph_iris()
        bad_iris = {f"{BASE_IRI}article/{Path(n).stem}" for n in BAD_FILES}
        assert not bad_iris & gen.store.graph_iris()


def test_strict_build_raises_and_keeps_the_previous_generation(tmp_path: Path, data_dir: Path,
                                                               encoder: Encoder) -> None:
    articles = copy_corpus(tmp_path / "articles", (GOOD,))
    data = data_dir
    first = build_corpus(articles, data, encoder, validate=False)
    link = os.readlink(data / CURRENT)
    (articles / "binary.txt").write_bytes(BAD_FILES["binary.txt"][0])
    with pytest.raises(ArticleError) as err:
        build_corpus(articles, data, encoder, validate=False, strict=True)
    assert err.value.path == "binary.txt" and "binary" in err.value.reason
    assert os.readlink(data / CURRENT) == link
    with open_current(data, model=encoder.model_id) as gen:
        assert gen.manifest["generation"] == first.generation


def test_cli_reports_bad_articles_and_strict_is_fatal(tmp_path: Path, data_dir: Path, encoder: Encoder) -> None:
    articles = copy_corpus(tmp_path / "articles", (GOOD,))
    data = data_dir
    # A first build in process fills the vector cache, so the CLI builds need no model.
    build_corpus(articles, data, encoder, validate=False)
    write_bad_files(articles)
    env = cli_env(data, articles)

    done = run_cli(["build", str(articles), "--quiet"], env)

    assert done.returncode == 0, done.stderr
    for name, (_, word) in BAD_FILES.items():
        lines = [line for line in done.stderr.splitlines() if line.startswith(f"skipped {name}:")]
        assert len(lines) == 1, (name, done.stderr)
        assert word.lower() in lines[0].lower()
    summary = done.stdout.strip().splitlines()[-1]
    assert "1 articles" in summary and f"{len(BAD_FILES)} failed" in summary
    with open_current(data) as gen:
        assert_reported(gen.manifest["errors"])
        built = gen.manifest["generation"]
    link = os.readlink(data / CURRENT)

    strict = run_cli(["build", str(articles), "--quiet", "--strict"], env)

    assert strict.returncode != 0
    assert "error:" in strict.stderr
    assert any(name in strict.stderr for name in BAD_FILES), strict.stderr
    assert os.readlink(data / CURRENT) == link
    with open_current(data) as gen:
        assert gen.manifest["generation"] == built

    # The failed strict build leaves nothing the next build trips over.
    after = build_corpus(articles, data, encoder, validate=False)
    assert after.encoded == 0 and not tmp_generations(data)


def test_cli_build_of_a_missing_directory_fails_cleanly(tmp_path: Path, data_dir: Path) -> None:
    done = run_cli(["build", str(tmp_path / "missing"), "--quiet"], cli_env(data_dir))
    assert done.returncode != 0
    assert "not found" in done.stderr and "Traceback" not in done.stderr


def test_cli_cuts_a_sentence_over_the_setting_into_pieces_and_reports_it(tmp_path: Path, data_dir: Path) -> None:
    """HEALTHKG_MAX_SENTENCE_CHARS reaches the build: a line over it is cut, reported by file
    (stderr, manifest) with where it is, and the sentence after it still gives its claim."""
    from kg.article import parse_article

    articles = tmp_path / "articles"
    articles.mkdir()
    line = " ".join(f"cell {i} minoxidil" for i in range(120))  # no full stop
    raw = f"A Dump\n\n{line}\n\nMinoxidil treats hair loss.\n"
    (articles / "dump.txt").write_text(raw)
    pieces = [s for s in parse_article(raw.encode(), "dump.txt", max_sentence_chars=500).sentences if s.part_of]
    assert len(pieces) == len(line) // 500 + 1 and all(len(s.span.text) <= 500 for s in pieces)

    done = run_cli(["build", str(articles), "--quiet"], cli_env(data_dir, articles, max_sentence_chars="500"))

    assert done.returncode == 0, done.stderr
    reported = [x for x in done.stderr.splitlines() if x.startswith("dump.txt: ")]
    assert reported == [f"dump.txt: sentence of {len(line):,} characters exceeds HEALTHKG_MAX_SENTENCE_CHARS (500) "
                        f"at offset 8: cut into {len(pieces)} pieces (sentences 1-{len(pieces)}), searchable, "
                        "mentions only, no claims read from it"], done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and "1 over a limit" in summary, summary
    with open_current(data_dir) as gen:
        [error] = gen.manifest["errors"]
        assert (error["file"], error["limit"], error["offset"], error["length"]) == (
            "dump.txt", "HEALTHKG_MAX_SENTENCE_CHARS", 8, len(line))
        assert gen.manifest["articles"]["dump"]["sentences"] == 1 + len(pieces) + 1
        assert gen.manifest["articles"]["dump"]["claims"] == 1
