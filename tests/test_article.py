"""kg.article: the seed's plain-text format, Markdown with front matter, exact offsets."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.article import Article, article_files, load_article, parse_article, parse_byline
from kg.errors import ArticleError
from kg.text import normalise
from tests.paths import SEED

SPECIALTIES = ["Botox treatments", "medical dermatology", "cosmetic dermatology", "patient education"]


@pytest.fixture(scope="module")
def seed() -> Article:
    return load_article(SEED)


def assert_offsets_exact(article: Article) -> None:
    """Every sentence slices out of the snapshot; sentences ordered, disjoint, non-empty, stripped."""
    last = 0
    for n, s in enumerate(article.sentences):
        assert s.index == n
        assert article.text[s.span.begin:s.span.end] == s.span.text
        assert s.span.text and s.span.text == s.span.text.strip(), s
        assert last <= s.span.begin < s.span.end <= len(article.text), (last, s)
        last = s.span.end
    for section in article.sections:
        assert article.text[section.span.begin:section.span.end] == section.span.text


def test_seed_title_keeps_the_mis_decoded_emoji_exactly(seed: Article) -> None:
    raw_first_line = SEED.read_bytes().decode("utf-8").splitlines()[0]
    assert "πŸ’‰" in raw_first_line  # the seed's mojibake of U+1F489 (syringe)
    assert seed.title == unicodedata.normalize("NFC", raw_first_line)
    assert seed.title == "Hair Loss: The Botox Connection - πŸ’‰ Revealing the Truth"
    first = seed.sentences[0]
    assert first.section == "title"
    assert (first.span.begin, first.span.end) == (0, len(seed.title))
    assert seed.text[first.span.begin:first.span.end] == seed.title


def test_seed_author(seed: Article) -> None:
    author = seed.author
    assert author is not None
    assert author.name == "Olivia Thompson"
    assert author.prefix == "Dr."
    assert author.specialties == SPECIALTIES
    assert author.years_of_experience == 12
    assert author.bio is not None
    assert author.bio.startswith("Dr. Olivia Thompson is a skilled dermatologist with a focus on Botox treatments")
    assert author.bio.endswith("the latest advancements in her field.")
    assert "With over 12 years of experience" in author.bio
    assert author.bio in seed.text


def test_seed_sections_and_sentences(seed: Article) -> None:
    assert seed.slug == "botox-hair-loss"
    assert seed.format == "text"
    assert seed.source_file == "botox-hair-loss.txt"
    assert seed.content_hash.startswith("sha256:") and len(seed.content_hash) == 7 + 64
    kinds = [s.section for s in seed.sentences]
    assert kinds[0] == "title"
    assert kinds.count("byline") == 1 and kinds.count("specialties") == 1
    assert kinds.index("byline") < kinds.index("specialties") < kinds.index("bio")
    assert all(k == "body" for k in kinds[1:kinds.index("byline")])
    texts = [s.span.text for s in seed.sentences]
    assert "However, it is important to note that Botox injections do not cause hair loss." in texts
    assert "In conclusion, Botox injections do not cause hair loss." in texts
    assert "Dr. Olivia Thompson" in texts
    assert ", ".join(SPECIALTIES) in texts
    # "Dr." never ends a sentence.
    assert not any(t == "Dr." or t.endswith(" Dr.") for t in texts)
    assert_offsets_exact(seed)


def test_seed_snapshot_is_the_normalised_file(seed: Article) -> None:
    assert seed.text == normalise(SEED.read_bytes().decode("utf-8"))
    assert unicodedata.is_normalized("NFC", seed.text)


def test_crlf_and_decomposed_copy_of_the_seed_gives_the_same_snapshot(seed: Article) -> None:
    raw = SEED.read_bytes().decode("utf-8")
    variant = unicodedata.normalize("NFD", raw).replace("\n", "\r\n")
    parsed = parse_article(("\ufeff" + variant).encode("utf-8"), SEED.name)
    assert parsed.text == seed.text
    assert parsed.content_hash == seed.content_hash
    assert [s.span for s in parsed.sentences] == [s.span for s in seed.sentences]


@pytest.mark.parametrize(("line", "name", "prefix", "suffix"), [
    ("Dr. Olivia Thompson", "Olivia Thompson", "Dr.", None),
    ("Dr Olivia Thompson", "Olivia Thompson", "Dr.", None),
    ("By Jane Doe, MD", "Jane Doe", None, "MD"),
    ("Professor Ada K. Lovelace", "Ada K. Lovelace", "Professor", None),
    ("Olivia Thompson", "Olivia Thompson", None, None),
    # UK pharmacy and medical credentials; organisations whose names join words with 'and' or 'of'
    ("Tomasz Wren, MPharm", "Tomasz Wren", None, "MPharm"),
    ("Larchmont Allergy and Skin Clinic", "Larchmont Allergy and Skin Clinic", None, None),
    ("The Institute of Foot Health Centre", "The Institute of Foot Health Centre", None, None),
])
def test_parse_byline_table(line: str, name: str, prefix: str | None, suffix: str | None) -> None:
    person = parse_byline(line)
    assert person is not None
    assert (person.name, person.prefix, person.suffix) == (name, prefix, suffix)


@pytest.mark.parametrize("line", ["In conclusion, Botox is safe.", "hello world", "Dr.", "", "Causes and treatment",
                                  "See a GP or the clinic"])
def test_parse_byline_refuses_non_names(line: str) -> None:
    assert parse_byline(line) is None


MARKDOWN = """---
title: "Minoxidil: What to Expect"
author: "Dr. Priya Raman"
date: 2024-03-12
url: "https://clinic.example/blog/minoxidil"
---

Minoxidil is a widely used treatment. It was first a blood pressure tablet.

## How it works

- It widens small blood vessels.
- It keeps hairs growing for longer.
"""


def test_markdown_with_front_matter() -> None:
    article = parse_article(MARKDOWN.encode(), "minoxidil.md")
    assert article.format == "markdown"
    assert article.slug == "minoxidil"
    assert article.title == "Minoxidil: What to Expect"
    assert article.author is not None
    assert (article.author.name, article.author.prefix) == ("Priya Raman", "Dr.")
    assert article.date == "2024-03-12"
    assert article.url == "https://clinic.example/blog/minoxidil"
    texts = [s.span.text for s in article.sentences]
    assert texts == ["Minoxidil: What to Expect", "Minoxidil is a widely used treatment.",
                     "It was first a blood pressure tablet.", "How it works",
                     "It widens small blood vessels.", "It keeps hairs growing for longer."]
    assert [s.section for s in article.sentences][3] == "heading"
    assert_offsets_exact(article)


def test_markdown_title_offsets_point_at_the_title_value() -> None:
    """The title sentence is the title's value in the front matter, not a word of a key."""
    text = "---\ntitle: t\nauthor: Jane Doe\n---\n\nBody text here.\n"
    article = parse_article(text.encode(), "short.md")
    title = article.sentences[0]
    assert title.span.text == "t"
    assert title.span.begin == text.index("title: t") + len("title: ")


def test_markdown_bio_in_front_matter_keeps_sentences_in_text_order() -> None:
    text = ("---\ntitle: Hair care\nauthor: Dr. Jane Doe\n"
            "bio: Jane Doe is a dermatologist. She has 10 years of experience.\n---\n\n"
            "Body one is here. Body two is here.\n")
    article = parse_article(text.encode(), "bio.md")
    assert article.author is not None and article.author.years_of_experience == 10
    assert [s.section for s in article.sentences] == ["title", "bio", "bio", "body", "body"]
    assert_offsets_exact(article)


def test_markdown_without_author_has_no_author() -> None:
    article = parse_article(b"---\ntitle: Alone\n---\n\nNobody signed this. It is fine.\n", "alone.md")
    assert article.author is None
    assert [s.span.text for s in article.sentences] == ["Alone", "Nobody signed this.", "It is fine."]


def test_plain_text_without_byline_has_no_author() -> None:
    raw = b"A title\n\nFirst body sentence. Second body sentence.\n\nAnother paragraph ends here.\n"
    article = parse_article(raw, "no-byline.txt")
    assert article.author is None
    assert [s.section for s in article.sentences] == ["title", "body", "body", "body"]
    assert_offsets_exact(article)


@pytest.mark.parametrize("bullet", ["\u2022", "-", "*", "\u25aa", "1."])
def test_plain_text_bullets_are_one_sentence_per_item_without_the_mark(bullet: str) -> None:
    raw = f"Asthma Triggers\n\nCommon triggers include:\n\n{bullet} house dust mites\n{bullet} pollen from grass\n"
    article = parse_article(raw.encode(), "t.txt")
    texts = [s.span.text for s in article.sentences]
    assert texts[-2:] == ["house dust mites", "pollen from grass"]
    assert all(article.text[s.span.begin:s.span.end] == s.span.text for s in article.sentences)


def test_plain_text_heading_lines_are_headings_never_body_and_items_are_marked() -> None:
    raw = ("Asthma Triggers\n\nAsthma narrows the airways.\n\nCommon triggers\n\nThe most common ones are:\n\n"
           "\u2022 pollen\n\u2022 cold air\n\nWhat helps\n- inhalers\n\nShort line without a stop but it is "
           "a sentence of more than twelve words in a row\n")
    article = parse_article(raw.encode(), "t.txt")
    kinds = [(s.span.text, s.section, s.level, s.item) for s in article.sentences]
    assert kinds[2] == ("Common triggers", "heading", 1, False)
    assert kinds[3] == ("The most common ones are:", "body", 0, False)
    assert kinds[4:6] == [("pollen", "body", 0, True), ("cold air", "body", 0, True)]
    assert kinds[6:8] == [("What helps", "heading", 1, False), ("inhalers", "body", 0, True)]
    assert kinds[8][1] == "body"
    assert all(article.text[s.span.begin:s.span.end] == s.span.text for s in article.sentences)


def test_markdown_heading_levels() -> None:
    raw = "---\ntitle: T\n---\n\n## Causes\n\n### Irritants\n\n- soap\n"
    article = parse_article(raw.encode(), "t.md")
    assert [(s.span.text, s.section, s.level, s.item) for s in article.sentences][1:] == [
        ("Causes", "heading", 2, False), ("Irritants", "heading", 3, False), ("soap", "body", 0, True)]


def test_plain_text_byline_without_specialties() -> None:
    raw = b"Title\n\nBody sentence one. Body two.\n\nJane Doe\n\nJane Doe has 7 years of experience in practice.\n"
    article = parse_article(raw, "jane.txt")
    assert article.author is not None
    assert article.author.name == "Jane Doe" and article.author.prefix is None
    assert article.author.specialties == []
    assert article.author.years_of_experience == 7


@pytest.mark.parametrize(("data", "name", "reason"), [
    (b"", "empty.txt", "empty"),
    (b"  \n\t\n", "blank.txt", "empty"),
    (b"\x00\x01binary\x00", "blob.txt", "binary"),
    (b"caf\xe9 au lait\n\nLatin-1 body.\n", "latin1.txt", "UTF-8"),
    (b"---\ntitle: Never closed\n\nBody text.\n", "unclosed.md", "not closed"),
    (b"#\n\nA body under an empty title.\n", "emptytitle.md", "title"),
    (b"---\ntitle: [unclosed\n---\n\nBody.\n", "badyaml.md", "YAML"),
    (b"---\nauthor: Jane Doe\n---\n\nBody.\n", "notitle.md", "title"),
    (b"---\ntitle: Empty\n---\n\n", "nobody.md", "body"),
    (b"Only a title line\n", "onlytitle.txt", "body"),
])
def test_bad_articles_raise_article_error_naming_file_and_reason(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(ArticleError) as err:
        parse_article(data, name)
    assert err.value.path == name
    assert reason.lower() in err.value.reason.lower()
    assert name in err.value.message


def test_article_files_lists_articles_only(tmp_path: Path) -> None:
    for name in ("b.txt", "a.md", "c.markdown", "d.expected.json", ".hidden.txt", "e.pdf"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub.txt").mkdir()
    assert [p.name for p in article_files(tmp_path)] == ["a.md", "b.txt", "c.markdown", "sub.txt"]


def test_symlinks_out_of_the_corpus_dangling_links_and_directories_are_named_errors(tmp_path: Path) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "secret.txt"
    corpus.mkdir()
    outside.write_text("Secret\n\nroot:x:0:0:root:/root:/bin/bash\n")
    (corpus / "real.txt").write_text("Real\n\nMinoxidil treats hair loss.\n")
    (corpus / "inside.txt").symlink_to(corpus / "real.txt")
    (corpus / "passwd.txt").symlink_to(outside)
    (corpus / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (corpus / "folder.md").mkdir()
    assert load_article(corpus / "inside.txt", root=corpus).title == "Real"  # a link inside the corpus is fine
    reasons = {}
    for name in ("passwd.txt", "gone.txt", "folder.md"):
        with pytest.raises(ArticleError) as err:
            load_article(corpus / name, root=corpus)
        assert err.value.path == name
        reasons[name] = err.value.reason
    assert "outside the articles directory" in reasons["passwd.txt"]
    assert "dangling symlink" in reasons["gone.txt"]
    assert "directory" in reasons["folder.md"]


# ---- properties ---------------------------------------------------------------------------

_PIECES = st.sampled_from([
    "Title line", "Dr. Jane Doe", "Olivia Thompson", "Botox, dermatology, hair", "12 years of experience",
    "Sentence one. ", "Is it? ", "Yes! ", "e.g. ", "\n", "\n\n", "\r\n", "\r\n\r\n", " ", "\t", "e\u0301",
    "A\u030a", "\u00e9", "πŸ’‰", "\U0001f489", "\u2028", "\x85", "\u00a0", "—", "…", "\"quoted.\" ", "By ",
    ", MD", "- item", "# Heading", "---", ":", "'", "\ufeff",
])
ARTICLE_TEXT = st.one_of(st.text(), st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=40).map("".join))


def _parse_or_none(data: bytes, name: str) -> Article | None:
    """The parsed article, or None when the parser refuses it with an ArticleError."""
    try:
        return parse_article(data, name)
    except ArticleError as exc:
        assert exc.path == name and exc.reason
        return None


def check_article(raw: str, name: str) -> None:
    data = raw.encode("utf-8")
    article = _parse_or_none(data, name)
    if article is None:
        return
    assert article.text == normalise(raw)
    assert "\r" not in article.text and unicodedata.is_normalized("NFC", article.text)
    assert article.sentences, "a parsed article has at least one sentence"
    assert_offsets_exact(article)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ARTICLE_TEXT)
def test_parse_article_offsets_exact_on_arbitrary_text(raw: str) -> None:
    check_article(raw, "prop.txt")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ARTICLE_TEXT)
def test_parse_article_offsets_exact_with_crlf_and_decomposed_text(raw: str) -> None:
    check_article(unicodedata.normalize("NFD", raw).replace("\n", "\r\n"), "prop.txt")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_parse_article_on_arbitrary_bytes(data: bytes) -> None:
    """Any bytes: an Article with exact offsets, or an ArticleError; never another exception."""
    article = _parse_or_none(data, "bytes.txt")
    if article is not None:
        assert_offsets_exact(article)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(min_size=1, max_size=30), author=st.text(max_size=30), body=ARTICLE_TEXT,
       bio=st.one_of(st.none(), st.text(max_size=60)), crlf=st.booleans())
def test_parse_markdown_offsets_exact(title: str, author: str, body: str, bio: str | None, crlf: bool) -> None:
    import json

    front = [f"title: {json.dumps(title)}", f"author: {json.dumps(author)}"]
    if bio is not None:
        front.append(f"bio: {json.dumps(bio)}")
    raw = "---\n" + "\n".join(front) + "\n---\n" + body
    if crlf:
        raw = raw.replace("\n", "\r\n")
    check_article(raw, "prop.md")


def test_markdown_without_front_matter_takes_its_title_from_the_first_line() -> None:
    """A page saved as Markdown rarely has front matter: its '# ' line is the title, the rest the body."""
    raw = "# Gout and diet\n\nGout is a kind of arthritis.\n\n## Causes\n\n- red meat\n- beer\n"
    article = parse_article(raw.encode(), "gout.md")
    assert article.title == "Gout and diet" and article.author is None
    kinds = [(s.section, s.span.text) for s in article.sentences]
    assert kinds[0] == ("title", "Gout and diet")
    assert ("heading", "Causes") in kinds and ("body", "red meat") in kinds
    assert all(raw[s.span.begin:s.span.end] == s.span.text for s in article.sentences)
