"""The dependency parser: spaCy's pinned English model, loaded by package name, and its parse cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.nlp import Parser


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser()


def test_model_gives_lemmas_tags_and_dependencies(parser: Parser) -> None:
    doc = parser.parse(["Colds are caused by viruses."])[0]
    by_text = {t.text: t for t in doc}
    assert by_text["viruses"].lemma_ == "virus"
    assert by_text["caused"].dep_ == "ROOT"
    assert by_text["Colds"].dep_ == "nsubjpass"
    assert by_text["by"].dep_ == "agent" and by_text["viruses"].head.text == "by"
    assert parser.version.endswith("-3.8.0")
    assert "ner" not in parser.nlp.pipe_names  # the extractor reads no entities


def test_unchanged_texts_are_read_from_the_cache_not_parsed_again(tmp_path: Path) -> None:
    texts = ["Stress does not cause acne.", "Some people believe it does."]
    first = Parser(tmp_path).parse(texts)
    assert len(list(tmp_path.rglob("*.spacy"))) == 1

    again = Parser(tmp_path)

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache was not used")

    again.nlp.pipe = no_parsing
    cached = again.parse(texts)
    assert [[(t.text, t.lemma_, t.dep_, t.head.i) for t in d] for d in cached] == \
        [[(t.text, t.lemma_, t.dep_, t.head.i) for t in d] for d in first]


def test_a_damaged_cache_entry_is_parsed_again(tmp_path: Path) -> None:
    texts = ["Minoxidil treats hair loss."]
    Parser(tmp_path).parse(texts)
    entry = next(tmp_path.rglob("*.spacy"))
    entry.write_bytes(b"not a DocBin")
    doc = Parser(tmp_path).parse(texts)[0]
    assert [t.lemma_.lower() for t in doc][:2] == ["minoxidil", "treat"]
    assert entry.read_bytes() != b"not a DocBin"  # rewritten
