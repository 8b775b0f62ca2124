"""Text normalisation and sentence splitting with exact character offsets.

Every span produced here satisfies ``text[begin:end] == span_text``; offsets count
Python ``str`` code points into the normalised snapshot, 0-based, end excluded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ABBREVIATIONS = frozenset(
    "dr mr mrs ms mx prof sr jr st vs etc e.g i.e approx no fig dept est inc ltd co u.s u.k"
    " a.m p.m jan feb mar apr jun jul aug sep sept oct nov dec md ph.d".split()
)

# A candidate end: terminal punctuation, optional closing quotes/brackets, then white space.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_NEXT_START = re.compile(r"\s+([\"'“‘(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"(?<![\w'\u2019])([A-Za-z][A-Za-z.]*)\.$")


@dataclass(frozen=True)
class Span:
    """A stretch of the snapshot: ``text[begin:end]``."""

    begin: int
    end: int
    text: str


def normalise(raw: str) -> str:
    """Unicode NFC, no BOM, line endings as ``\\n``, no trailing white space at the end."""
    text = raw.lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    return text.rstrip() + ("\n" if text.strip() else "")


def strip_span(text: str, begin: int, end: int) -> Span | None:
    """The span with surrounding white space removed, or None when nothing is left."""
    while begin < end and text[begin].isspace():
        begin += 1
    while end > begin and text[end - 1].isspace():
        end -= 1
    return Span(begin, end, text[begin:end]) if begin < end else None


def _is_abbreviation(text: str, dot_end: int) -> bool:
    """True when the '.' ending at ``dot_end`` closes an abbreviation or an initial."""
    head = text[max(0, dot_end - 12):dot_end]
    m = _WORD_BEFORE.search(head)
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    if word == "no":  # 'No. 5' abbreviates number; 'No. Hats do not ...' answers a question
        return bool(re.match(r"\s*\d", text[dot_end:dot_end + 4]))
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str, begin: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[begin:end]``; a blank line always ends a sentence."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for para in re.finditer(r"(?:(?!\n[ \t]*\n)[\s\S])+", text[begin:end]):
        p_begin, p_end = begin + para.start(), begin + para.end()
        spans.extend(_split_paragraph(text, p_begin, p_end))
    return spans


def _split_paragraph(text: str, begin: int, end: int) -> list[Span]:
    out: list[Span] = []
    start = begin
    for m in _BOUNDARY.finditer(text, begin, end):
        stop = m.end()
        nxt = _NEXT_START.match(text, stop, end)
        if not nxt:
            continue
        if text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(text, m.end()):
            continue
        span = strip_span(text, start, stop)
        if span:
            out.append(span)
        start = stop
    span = strip_span(text, start, end)
    if span:
        out.append(span)
    return out


def cut_span(text: str, span: Span, limit: int) -> list[Span]:
    """``span`` cut into pieces of at most ``limit`` characters, each ending at the last white
    space that keeps it within the limit (mid-word only where a stretch of ``limit`` characters
    has none); white space between pieces belongs to none. One pass, linear in the span."""
    out: list[Span] = []
    start, end = span.begin, span.end
    while start < end:
        stop = min(start + limit, end)
        if stop < end and not text[stop].isspace():
            cut = max(text.rfind(" ", start, stop), text.rfind("\n", start, stop))
            stop = cut if cut > start else stop
        piece = strip_span(text, start, stop)
        if piece:
            out.append(piece)
        start = stop
        while start < end and text[start].isspace():
            start += 1
    return out


def find_span(text: str, needle: str, begin: int = 0, end: int | None = None) -> Span | None:
    """The first occurrence of ``needle`` in ``text[begin:end]`` as a span."""
    i = text.find(needle, begin, len(text) if end is None else end)
    return Span(i, i + len(needle), needle) if i >= 0 and needle else None


# Typography folded for matching, one character for one, so an offset into the copy is an
# offset into the stored text: curly quotes and apostrophes, primes, dashes, ellipsis,
# non-breaking and other Unicode spaces.
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": ".", "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ",
    "\u2003": " ", "\u200b": " ", "\t": " ",
})
# Citation markers ("(2)", "[3]", "[1, 4]", "[5-7]") and Markdown emphasis carry no words.
_CITATION = re.compile(r"\s?[\[(]\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*[\])]")
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`")


def matching_copy(text: str) -> str:
    """``text`` with typography folded and citation markers and emphasis blanked, same length."""
    folded = text.translate(_FOLD)
    folded = _CITATION.sub(lambda m: " " * len(m.group()), folded)
    return _EMPHASIS.sub(lambda m: " " * len(m.group()), folded)
