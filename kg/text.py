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
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


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


def find_span(text: str, needle: str, begin: int = 0, end: int | None = None) -> Span | None:
    """The first occurrence of ``needle`` in ``text[begin:end]`` as a span."""
    i = text.find(needle, begin, len(text) if end is None else end)
    return Span(i, i + len(needle), needle) if i >= 0 and needle else None
