"""Parse articles: the seed's plain-text format and Markdown with YAML front matter.

Plain text: a title line; body paragraphs; a byline line with the author's name
(``Dr.`` as an honorific prefix); a line of comma-separated specialties; a bio paragraph.
Byline, specialties and bio are optional. Markdown: YAML front matter (title, author,
date, url, optional specialties/bio) and a body.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kg.errors import ArticleError
from kg.namespaces import slugify
from kg.text import Span, cut_span, find_span, normalise, split_sentences, strip_span

# Longest sentence (characters) kept whole, HEALTHKG_MAX_SENTENCE_CHARS: a longer one (a run-on
# line, a table dump) is cut into pieces of at most this many characters, each a sentence of its
# own for search (encoded, BM25, its own offsets), with its mentions linked but no claims read
# from it: claim extraction is super-linear in a sentence's length, and real sentences stay far
# below this. The build reports every such sentence.
MAX_SENTENCE_CHARS = 2000
SUFFIXES = (r"(?:MD|M\.D\.|DO|D\.O\.|PhD|Ph\.D\.|FAAD|RN|NP|PA-C|MBBS|MPH|DDS|MPharm|MRPharmS|PharmD|BSc|MSc|BA|MA|"
            r"MBChB|BDS|MRCP|MRCGP|FRCP|FRCS|RGN|RD|DPT|PT|MCSP|DNP|APRN|CNM|BPharm)")
PREFIXES = r"(?:Dr|Prof|Professor|Mr|Mrs|Ms|Mx)"
_NAME_WORD = r"[A-Z][a-zA-Z'’\-]+"
BYLINE = re.compile(
    rf"^(?:By\s+)?(?:(?P<prefix>{PREFIXES})\.?\s+)?"
    rf"(?P<name>{_NAME_WORD}(?:\s+[A-Z]\.)?(?:\s+{_NAME_WORD}){{1,3}})"
    rf"(?P<suffix>(?:,?\s+{SUFFIXES})*)\s*$"
)
# an organisation's name, which may join its words with 'and' or 'of' ('Larchmont Allergy and Skin Clinic')
ORGANISATION = re.compile(
    rf"^(?:By\s+)?(?P<name>(?:The\s+)?{_NAME_WORD}(?:\s+(?:(?:and|of|for|&)\s+)?{_NAME_WORD}){{0,6}}?\s+"
    r"(?:Clinic|Hospital|Service|Services|Trust|Group|Network|Centre|Center|Society|Foundation|Association|Institute|"
    r"Council|Team|Practice|Pharmacy|Partnership|Unit|Board|Alliance|Department|Surgery))\s*$"
)
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_YEARS = re.compile(
    r"\b(?P<n>\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")\+?\s+years?\s+"
    r"(?:of\s+(?:clinical\s+|professional\s+)?experience|in\s+practice)",
    re.IGNORECASE,
)


@dataclass
class Person:
    """An article's author, as the byline and bio state."""

    name: str
    prefix: str | None = None
    suffix: str | None = None
    specialties: list[str] = field(default_factory=list)
    bio: str | None = None
    years_of_experience: int | None = None


@dataclass
class Section:
    """A sentence-bearing part of the article: title, heading, body, byline, specialties or bio.

    ``level`` is a heading's depth (Markdown's count of '#', 1 for a plain-text heading line);
    ``item`` marks one bulleted or numbered list item."""

    kind: str
    span: Span
    level: int = 0
    item: bool = False


@dataclass
class Sentence:
    """One sentence; ``part_of``, when set, is the over-long sentence (longer than the parse's
    ``max_sentence_chars``) this is a piece of: mentions only, no claims."""

    index: int
    span: Span
    section: str
    level: int = 0
    item: bool = False
    part_of: Span | None = None


@dataclass
class Article:
    """One parsed article: its normalised snapshot and everything located in it."""

    slug: str
    source_file: str
    text: str
    title: str
    author: Person | None
    sections: list[Section]
    content_hash: str
    date: str | None = None
    url: str | None = None
    format: str = "text"
    sentences: list[Sentence] = field(default_factory=list)


def content_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def years_of_experience(bio: str) -> int | None:
    m = _YEARS.search(bio)
    if not m:
        return None
    n = m.group("n").lower()
    return int(n) if n.isdigit() else _NUMBER_WORDS[n]


def parse_byline(line: str) -> Person | None:
    """'Dr. Olivia Thompson' -> Person(name='Olivia Thompson', prefix='Dr.'); None if not a name."""
    m = BYLINE.match(line.strip())
    if not m:
        org = ORGANISATION.match(line.strip())
        return Person(name=org.group("name")) if org else None
    prefix = m.group("prefix")
    if prefix and prefix != "Professor":
        prefix += "."
    suffix = m.group("suffix").strip(" ,") or None
    return Person(name=m.group("name"), prefix=prefix, suffix=suffix)


def _paragraphs(text: str, begin: int = 0) -> list[Span]:
    spans = []
    for m in re.finditer(r"(?:(?!\n[ \t]*\n)[\s\S])+", text[begin:]):
        span = strip_span(text, begin + m.start(), begin + m.end())
        if span:
            spans.append(span)
    return spans


def _lines(text: str, para: Span) -> list[Span]:
    out, pos = [], para.begin
    for line in para.text.split("\n"):
        span = strip_span(text, pos, pos + len(line))
        if span:
            out.append(span)
        pos += len(line) + 1
    return out


def _looks_like_specialties(line: str) -> bool:
    return "," in line and not line.rstrip().endswith((".", "!", "?")) and len(line) < 300


def _split_specialties(text: str, line: Span) -> list[Span]:
    out, pos = [], line.begin
    for part in line.text.split(","):
        span = strip_span(text, pos, pos + len(part))
        if span:
            out.append(span)
        pos += len(part) + 1
    return out


def _find_byline(text: str, paras: list[Span]) -> int | None:
    """Index of the paragraph that opens the byline section, searching from the end."""
    for i in range(len(paras) - 1, 0, -1):
        first = _lines(text, paras[i])[0]
        if len(first.text) <= 80 and parse_byline(first.text):
            return i
    return None


def parse_text(text: str, source_file: str) -> Article:
    """The seed's plain-text format. ``text`` must already be normalised."""
    paras = _paragraphs(text)
    if not paras:
        raise ArticleError(source_file, "the article is empty")
    title_line = _lines(text, paras[0])[0]
    sections = [Section("title", title_line)]
    rest = _lines(text, paras[0])[1:]
    sections += [Section("body", s) for s in rest]
    byline_at = _find_byline(text, paras)
    body_end = byline_at if byline_at is not None else len(paras)
    for para in paras[1:body_end]:
        sections += _text_blocks(text, para)
    author = None
    if byline_at is not None:
        author, tail = _author_sections(text, paras[byline_at:])
        sections += tail
    if not any(s.kind == "body" for s in sections):
        raise ArticleError(source_file, "no body paragraph after the title")
    return Article(slugify(Path(source_file).stem), source_file, text, title_line.text, author,
                   sections, content_hash(text))


def _author_sections(text: str, paras: list[Span]) -> tuple[Person, list[Section]]:
    """Byline line, then an optional specialties line (same or next paragraph), then the bio."""
    lines = _lines(text, paras[0])
    rest = paras[1:]
    person = parse_byline(lines[0].text)
    assert person is not None
    sections = [Section("byline", lines[0])]
    tail = lines[1:]
    if not tail and rest and "\n" not in rest[0].text and _looks_like_specialties(rest[0].text):
        tail, rest = [rest[0]], rest[1:]
    if tail and _looks_like_specialties(tail[0].text):
        sections.append(Section("specialties", tail[0]))
        person.specialties = [s.text for s in _split_specialties(text, tail[0])]
        tail = tail[1:]
    bio_spans = tail + rest
    sections += [Section("bio", s) for s in bio_spans]
    if bio_spans:
        person.bio = text[bio_spans[0].begin:bio_spans[-1].end]
        person.years_of_experience = years_of_experience(person.bio)
    return person, sections


_FRONT = re.compile(r"\A---[ \t]*\n(?P<yaml>[\s\S]*?)\n---[ \t]*\n")


_ATX_TITLE = re.compile(r"#{1,6}[ \t]+")


def _markdown_without_front_matter(text: str, source_file: str) -> Article:
    """A page saved as Markdown with no front matter: its first line (a ``# heading`` or not)
    is the title, the rest the body; there is no author to read."""
    if text.lstrip().startswith("---"):
        raise ArticleError(source_file, "YAML front matter is not closed (no second --- line)")
    paras = _paragraphs(text)
    first = _lines(text, paras[0])[0]
    mark = _ATX_TITLE.match(first.text)
    title = Span(first.begin + mark.end(), first.end, first.text[mark.end():]) if mark else first
    if not title.text.strip("# \t"):
        raise ArticleError(source_file, "the first line, the title, is empty")
    sections = [Section("title", title)]
    for para in _paragraphs(text, first.end):
        sections += _line_blocks(text, para, _MARKDOWN_MARK)
    if not any(s.kind == "body" for s in sections):
        raise ArticleError(source_file, "no body text after the title line")
    return Article(slugify(Path(source_file).stem), source_file, text, title.text, None, sections,
                   content_hash(text), format="markdown")


def parse_markdown(text: str, source_file: str) -> Article:
    """Markdown, with YAML front matter (title, author, ...) or without; sentences come from the
    body (and the title)."""
    m = _FRONT.match(text)
    if not m:
        return _markdown_without_front_matter(text, source_file)
    try:
        meta = yaml.safe_load(m.group("yaml")) or {}
    except yaml.YAMLError as exc:
        raise ArticleError(source_file, f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict) or not str(meta.get("title") or "").strip():
        raise ArticleError(source_file, "front matter has no title")
    title = str(meta["title"]).strip()
    title_span = _front_value(text, "title", title, m) or Span(0, 0, "")
    sections = [Section("title", title_span)] if title_span.text else []
    for para in _paragraphs(text, m.end()):
        for line_block in _line_blocks(text, para, _MARKDOWN_MARK):
            sections.append(line_block)
    if not any(s.kind == "body" for s in sections):
        raise ArticleError(source_file, "no body text after the front matter")
    author = _markdown_author(text, meta, m.end())
    if author and author.bio:
        bio = _front_value(text, "bio", author.bio, m)
        if bio:
            sections.append(Section("bio", bio))
    sections.sort(key=lambda s: s.span.begin)
    date = meta.get("date")
    return Article(slugify(Path(source_file).stem), source_file, text, title, author, sections,
                   content_hash(text), date=str(date) if date else None,
                   url=str(meta["url"]) if meta.get("url") else None, format="markdown")


def _front_value(text: str, key: str, value: str, front: re.Match[str]) -> Span | None:
    """Where the value of ``key:`` stands in the front matter (not just anywhere in it)."""
    k = re.compile(rf"^[ \t]*{key}:[ \t]*", re.M).search(text, front.start("yaml"), front.end("yaml"))
    return find_span(text, value, k.end(), front.end("yaml")) if k else None


_BULLET = r"[-*+\u2022\u00b7\u25aa\u25cf\u25e6\u2023]\s|\d+[.)]\s"
_MARKDOWN_MARK = rf"#{{1,6}}\s|{_BULLET}|>"
_BULLET_START = re.compile(rf"^(?:{_BULLET})")


def strip_bullet(line: str) -> str:
    """A list item's text without its marker ("- stress" -> "stress"), as it is stored."""
    return _BULLET_START.sub("", line.lstrip(), count=1)


_TEXT_HEADING = re.compile(r"^[A-Z0-9\"'“‘][^\n]{0,80}(?<![.!?:;,])$")


def _heading_line(line: str) -> bool:
    """A plain-text heading: one short line, capitalised, without closing punctuation."""
    return bool(_TEXT_HEADING.match(line)) and len(line.split()) <= 12 and not _BULLET_START.match(line)


def _text_blocks(text: str, para: Span) -> list[Section]:
    """A plain-text paragraph: a heading line (alone, or above a list or the lines under it), list
    items, or body."""
    lines = _lines(text, para)
    if _heading_line(lines[0].text) and (len(lines) == 1 or all(
            _BULLET_START.match(line.text) for line in lines[1:]) or _heads_lines_below(lines)):
        rest = Span(lines[1].begin, para.end, text[lines[1].begin:para.end]) if len(lines) > 1 else None
        return [Section("heading", lines[0], level=1)] + (_line_blocks(text, rest) if rest else [])
    return _line_blocks(text, para)


def _heads_lines_below(lines: list[Span]) -> bool:
    """'Food and drink' / 'The evidence on diet is patchy. ...': a short title-like line over a
    line that opens a sentence of its own, not the first line of a hard-wrapped paragraph."""
    first, second = lines[0].text, lines[1].text
    return len(first.split()) <= 8 and (second[:1].isupper() or bool(_BULLET_START.match(second))) \
        and not re.search(r"\b(?:a|an|the|and|or|of|to|in|with|for|is|are|can|may)$", first, re.IGNORECASE)


def _line_blocks(text: str, para: Span, marks: str = _BULLET) -> list[Section]:
    """A paragraph with lines that open with a mark (a bullet, a number; in Markdown also a
    heading's '#' or a quote's '>') gives one section per marked line, with the mark kept out of
    the span, wherever in the paragraph the marked lines start ('Common triggers include:' /
    '- stress'); the unmarked lines between them are body, one section per run, and a line in
    lower case right under an item continues it. Without marked lines the paragraph is one
    body section. Only Markdown's '#' lines are headings."""
    lines = _lines(text, para)
    marked = [re.match(rf"^(?:{marks})\s*", line.text) for line in lines]
    if not any(marked):
        return [Section("body", para)]
    out: list[Section] = []
    run: list[Span] = []

    def flush() -> None:
        if run:
            out.append(Section("body", Span(run[0].begin, run[-1].end, text[run[0].begin:run[-1].end])))
            run.clear()

    for line, mark in zip(lines, marked, strict=True):
        if mark is None:
            if not run and out and out[-1].item and line.text[:1].islower():
                last = out[-1]  # a wrapped item: its second line
                out[-1] = Section(last.kind, Span(last.span.begin, line.end, text[last.span.begin:line.end]),
                                  level=last.level, item=True)
            else:
                run.append(line)
            continue
        flush()
        heading = marks == _MARKDOWN_MARK and line.text.startswith("#")
        span = strip_span(text, line.begin + mark.end(), line.end)
        if span:
            level = len(line.text) - len(line.text.lstrip("#")) if heading else 0
            item = bool(_BULLET_START.match(line.text))
            out.append(Section("heading" if heading else "body", span, level=level, item=item))
    flush()
    return out


def _markdown_author(text: str, meta: dict, front_end: int) -> Person | None:
    raw = meta.get("author")
    if isinstance(raw, dict):
        raw_name, extra = str(raw.get("name") or ""), raw
    else:
        raw_name, extra = str(raw or ""), meta
    if not raw_name.strip():
        return None
    person = parse_byline(raw_name) or Person(name=raw_name.strip())
    specialties = extra.get("specialties") or extra.get("knows_about") or []
    if isinstance(specialties, str):
        specialties = [s.strip() for s in specialties.split(",") if s.strip()]
    person.specialties = [str(s) for s in specialties]
    if extra.get("bio"):
        person.bio = str(extra["bio"]).strip()
        person.years_of_experience = years_of_experience(person.bio)
    years = extra.get("years_of_experience")
    if isinstance(years, int):
        person.years_of_experience = years
    return person


def decode(data: bytes, source_file: str) -> str:
    """UTF-8 text of an article file, or an ArticleError naming why not."""
    if not data.strip():
        raise ArticleError(source_file, "the file is empty")
    if b"\x00" in data:
        raise ArticleError(source_file, "binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(source_file, f"not UTF-8 text: invalid byte at offset {exc.start}") from exc


def parse_article(data: bytes, source_file: str, max_sentence_chars: int = MAX_SENTENCE_CHARS) -> Article:
    """Decode, normalise, parse and split into sentences (see :data:`MAX_SENTENCE_CHARS`)."""
    text = normalise(decode(data, source_file))
    suffix = Path(source_file).suffix.lower()
    article = parse_markdown(text, source_file) if suffix in (".md", ".markdown") else parse_text(text, source_file)
    article.sentences = _sentences(article, max_sentence_chars)
    return article


def _sentences(article: Article, max_chars: int) -> list[Sentence]:
    out: list[Sentence] = []
    for section in article.sections:
        if section.kind in ("title", "byline", "specialties", "heading"):
            spans = [section.span]
        else:
            spans = split_sentences(article.text, section.span.begin, section.span.end)
        for span in spans:
            whole = span if len(span.text) > max_chars else None
            for piece in cut_span(article.text, span, max_chars) if whole else [span]:
                out.append(Sentence(len(out), piece, section.kind, section.level, section.item, whole))
    return out


def over_long_sentences(article: Article) -> list[tuple[Span, list[Sentence]]]:
    """Each sentence the parse cut into pieces (see :data:`MAX_SENTENCE_CHARS`), with its pieces."""
    runs: dict[tuple[int, int], tuple[Span, list[Sentence]]] = {}
    for s in article.sentences:
        if s.part_of is not None:
            runs.setdefault((s.part_of.begin, s.part_of.end), (s.part_of, []))[1].append(s)
    return list(runs.values())


def load_article(path: Path, root: Path | None = None, max_sentence_chars: int = MAX_SENTENCE_CHARS) -> Article:
    """Read and parse one article file; every failure is an ArticleError naming the file.

    With ``root`` (the articles directory), a symlink is followed only to a file inside it:
    a link out of the corpus (``passwd.txt -> /etc/passwd``) would publish that file."""
    if path.is_symlink():
        target = path.resolve()
        if not target.exists():
            raise ArticleError(path.name, f"dangling symlink (to {os.readlink(path)})")
        if root is not None and not target.is_relative_to(root.resolve()):
            raise ArticleError(path.name, "symlink to a file outside the articles directory (not followed)")
    if path.is_dir():
        raise ArticleError(path.name, "a directory, not an article file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    return parse_article(data, path.name, max_sentence_chars)


ARTICLE_SUFFIXES = (".txt", ".md", ".markdown")


def article_files(directory: Path) -> list[Path]:
    """Article entries of a corpus directory, sorted; expected files and hidden files excluded.
    A directory or a symlink with an article's name is listed too, so that :func:`load_article`
    says why it is skipped instead of skipping it without a word."""
    return sorted(p for p in directory.iterdir()
                  if p.suffix.lower() in ARTICLE_SUFFIXES and not p.name.startswith("."))
