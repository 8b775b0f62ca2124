"""Claim extraction driven by the vocabulary and by cue patterns kept as data.

For each sentence: link mentions of known concepts; find relation triggers
(``ontology/cues.json``); fill the slots on each side of a trigger with the
coordinated mentions of the clause (minting a concept, typed by its slot, for an
argument no concept matches); then decide polarity (NegEx-style cues with clause
scope) and certainty (hedge cues). Nothing here knows any particular article.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg.article import Article
from kg.model import ASSERTED, Claim, Concept, Extraction, Mention
from kg.namespaces import Minter
from kg.nlp import Parser, shared_parser
from kg.text import matching_copy
from kg.vocabulary import CATEGORY_OF_TYPE, ONTOLOGY_DIR, Vocabulary, categories, fold, number_variants, tokens

EXTRACTOR_VERSION = "1"
PENDING = "belief (undecided)"  # a claim people are said to believe, until a later sentence denies it
EXAMPLE_MARKERS = frozenset({"such as", "like", "including", "for example"})
SUBORDINATORS = frozenset({"while", "whereas", "although", "though", "because", "since", "if", "unless", "when"})


def _quoted(text: str, pos: int) -> bool:
    """Whether ``pos`` lies inside double quotes (the text's typography is folded to '"')."""
    return text.count('"', 0, pos) % 2 == 1


_LABEL = re.compile(r"^\W*(?:myth|fact|truth|the\s+truth|reality|the\s+facts?|false|true|fiction)\s*:\s*", re.IGNORECASE)


def _gerund(lemma: str) -> str:
    """The -ing form of a verb's lemma: 'change' -> 'changing', 'cut' -> 'cutting', 'crack' -> 'cracking'."""
    lemma = lemma.lower()
    if lemma.endswith("e") and not lemma.endswith(("ee", "ye", "oe")):
        return lemma[:-1] + "ing"
    return (lemma + lemma[-1] if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", lemma) else lemma) + "ing"


def _object_through_quantity(verb: Any, quantities: tuple[str, ...]) -> Any | None:
    """A verb's direct object, past a quantity word ('drink plenty of water' -> water); None
    when there is none, or the quantity has no 'of' object."""
    obj = next((c for c in verb.children if c.dep_ == "dobj"), None)
    if obj is not None and obj.lemma_.lower() in quantities:
        inner = next((p for p in obj.children if p.dep_ == "prep" and p.lower_ == "of"), None)
        obj = next((c for c in inner.children if c.dep_ == "pobj"), None) if inner is not None else None
    return obj


def _alternation(phrases: list[str]) -> re.Pattern[str]:
    """One regex matching any phrase as whole words, longest first."""
    parts = sorted((re.escape(p).replace(r"\ ", r"\s+") for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])", re.IGNORECASE)


@dataclass
class Cues:
    """The cue data of ``ontology/cues.json``, compiled."""

    raw: dict[str, Any]

    @classmethod
    def load(cls, path: Path | None = None) -> Cues:
        return cls(json.loads((path or ONTOLOGY_DIR / "cues.json").read_text()))

    @cached_property
    def negation(self) -> re.Pattern[str]:
        return _alternation(self.raw["negation"])

    @cached_property
    def pseudo_negation(self) -> re.Pattern[str]:
        return _alternation(self.raw["pseudo_negation"])

    @cached_property
    def prenegation(self) -> re.Pattern[str]:
        return _alternation(self.raw["prenegation"])

    @cached_property
    def undecided(self) -> re.Pattern[str]:
        return _alternation(self.raw["undecided"])

    @cached_property
    def belief(self) -> re.Pattern[str]:
        return _alternation(self.raw["belief_frames"])

    @cached_property
    def myth(self) -> dict[str, re.Pattern[str]]:
        """'Myth:' opening a line, words that call a statement a myth or untrue, a short 'They aren't.',
        a refuting 'In fact, ...' after a belief."""
        return {k: re.compile(self.raw[k], re.IGNORECASE)
                for k in ("myth_prefix", "myth_words", "short_denial", "refutation_opener")}

    @cached_property
    def answers(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """How the sentence after a yes/no question opens when it answers no, and yes."""
        return (re.compile(self.raw["answer_no"], re.IGNORECASE), re.compile(self.raw["answer_yes"], re.IGNORECASE))

    @cached_property
    def hedges(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(level, _alternation(words)) for level, words in self.raw["hedges"].items()]

    @cached_property
    def boundary(self) -> re.Pattern[str]:
        return re.compile("|".join(self.raw["clause_boundaries"]), re.IGNORECASE)

    @cached_property
    def separators(self) -> re.Pattern[str]:
        return re.compile("|".join(self.raw["list_separators"]), re.IGNORECASE)

    @cached_property
    def fillers(self) -> re.Pattern[str]:
        return _alternation(self.raw["fillers"])

    @cached_property
    def patterns(self) -> list[dict[str, Any]]:
        return [dict(p, regex=re.compile(p["trigger"], re.IGNORECASE)) for p in self.raw["patterns"]]

    @cached_property
    def adjacent(self) -> list[dict[str, Any]]:
        return [dict(p, regex=re.compile(p["between"], re.IGNORECASE)) for p in self.raw["adjacent"]]

    @cached_property
    def inverting(self) -> re.Pattern[str]:
        """A modifier right before a mention that turns its meaning around ('infrequent washing')."""
        return re.compile(_alternation(self.raw["inverting_modifiers"]).pattern + r"\s+$", re.IGNORECASE)

    @cached_property
    def list_frames(self) -> list[dict[str, Any]]:
        return [dict(p, regex=re.compile(p["frame"], re.IGNORECASE)) for p in self.raw["list_frames"]]

    @cached_property
    def sibling_heading_stops(self) -> re.Pattern[str]:
        return _alternation(self.raw["sibling_heading_stops"])

    @cached_property
    def determiners(self) -> frozenset[str]:
        return frozenset(self.raw["determiners"])

    @cached_property
    def non_entities(self) -> frozenset[str]:
        return frozenset(self.raw.get("non_entities", []))

    @cached_property
    def non_entity_anywhere(self) -> frozenset[str]:
        return frozenset(self.raw["non_entity_anywhere"])

    @cached_property
    def non_entity_first(self) -> frozenset[str]:
        return frozenset(self.raw.get("non_entity_first", []))

    @cached_property
    def classifying(self) -> frozenset[str]:
        return frozenset(self.raw["classifying_modifiers"])

    @cached_property
    def evaluative(self) -> frozenset[str]:
        return frozenset(self.raw["evaluative_modifiers"])

    @cached_property
    def generic(self) -> frozenset[str]:
        return frozenset(self.raw["generic_heads"])


@dataclass
class Arg:
    """One argument of a claim: a concept IRI and where its words are."""

    iri: str
    begin: int
    end: int


@dataclass
class SentenceContext:
    """What one sentence offers to extraction, with offsets into the snapshot."""

    index: int
    begin: int
    text: str
    section: str
    mentions: list[Mention]
    subjects: list[Arg] = field(default_factory=list)  # subjects of claims found so far
    objects: list[Arg] = field(default_factory=list)  # and their objects
    items: list[SentenceContext] = field(default_factory=list)  # list items after a lead-in ending in ':'
    topic_condition: str | None = None  # the article's most mentioned condition ("flare-ups" of what)
    myth: bool = False  # the line states a myth ("Myth: X causes Y"), whatever its own wording
    myth_near: bool = False  # this sentence or the next calls something a myth or untrue
    headings: list[SentenceContext] = field(default_factory=list)  # the headings it stands under, outer first
    level: int = 0  # a heading's depth
    position: int = 0  # where it stands among the article's sentences
    page_headings: list[int] = field(default_factory=list)  # the positions of the article's headings (shared)
    group: list[SentenceContext] | None = None  # a heading's frame from its run of group headings, once found
    item: bool = False  # one bulleted or numbered list item
    listed: bool = False  # an item already read as an entry of its intro's claims
    before: SentenceContext | None = None  # the sentence before it
    parse: Callable[[], Any] | None = None  # this sentence's spaCy Doc, parsed on first use


class Extractor:
    """Vocabulary + cues -> mentions and claims for one article."""

    def __init__(self, vocabulary: Vocabulary, cues: Cues, parser: Parser | None = None) -> None:
        self.vocab = vocabulary
        self.cues = cues
        self.parser = parser or shared_parser()
        # The article parser and the sentence splitter decide sentence indices: part of what the
        # extraction of an unchanged article depends on.
        here = Path(__file__).parent
        source = b"".join((here / name).read_bytes() for name in ("extract.py", "article.py", "text.py")) + \
            json.dumps(cues.raw, sort_keys=True).encode()
        self.fingerprint = f"{EXTRACTOR_VERSION}-{vocabulary.fingerprint}-{hashlib.sha256(source).hexdigest()[:12]}"

    @classmethod
    def default(cls, parse_cache: Path | None = None) -> Extractor:
        """The project's vocabulary and cues; parses cached under ``parse_cache`` when given."""
        return cls(Vocabulary.load(), Cues.load(), Parser(parse_cache) if parse_cache else None)

    # ---- mentions -------------------------------------------------------------------------

    def link(self, text: str, offset: int = 0, sentence: int = 0) -> list[Mention]:
        """Longest-match mentions of vocabulary labels in ``text``."""
        toks = tokens(text)
        found: list[tuple[int, int, str]] = []
        for i in range(len(toks)):
            for n in range(min(self.vocab.max_label_tokens, len(toks) - i), 0, -1):
                iri = self.vocab.index.get(tuple(t for t, _, _ in toks[i:i + n]))
                if iri:
                    found.append((i, n, iri))
                    break
        # The longest labels win, then the leftmost: 'the flu vaccine' is the vaccine, not 'the flu'.
        taken = [False] * len(toks)
        chosen = []
        def content(f: tuple[int, int, str]) -> int:  # words after a leading article ('the flu')
            return f[1] - (toks[f[0]][0] in ("the", "a", "an"))

        def modifier_part(i: int, n: int) -> bool:  # 'alcohol-based toners', 'sugar-free', 'anti-dandruff'
            b, e = toks[i][1], toks[i + n - 1][2]
            return text[e:e + 1] == "-" and text[e + 1:e + 2].isalpha() or \
                b >= 2 and text[b - 1] == "-" and text[b - 2].isalpha()

        for i, n, iri in sorted(found, key=lambda f: (-content(f), -f[1], f[0])):
            if not any(taken[i:i + n]) and not modifier_part(i, n):
                taken[i:i + n] = [True] * n
                chosen.append((i, n, iri))
        out = []
        for i, n, iri in sorted(chosen):
            b, e = toks[i][1], toks[i + n - 1][2]
            out.append(Mention(offset + b, offset + e, text[b:e], iri, sentence))
        return out

    # ---- claims ---------------------------------------------------------------------------

    def extract(self, article: Article, minter: Minter) -> Extraction:
        result = Extraction()
        contexts: list[SentenceContext] = []
        # Cues are matched on a copy with typography folded (curly apostrophes, dashes, NBSP)
        # and citation markers blanked, character for character, so offsets hold for the
        # stored text; a mention's words are taken from the stored text.
        copy = matching_copy(article.text)
        # Pieces of a sentence over kg.article's MAX_SENTENCE_CHARS (a run-on line, a table dump):
        # mentions only, never parsed nor read for claims (slot filling is super-linear in length).
        over_long = {s.index for s in article.sentences if s.part_of is not None}
        for s in article.sentences:
            text = copy[s.span.begin:s.span.end]
            mentions = [Mention(m.begin, m.end, article.text[m.begin:m.end], m.concept, m.sentence)
                        for m in self.link(text, s.span.begin, s.index)]
            result.mentions.extend(mentions)
            contexts.append(SentenceContext(s.index, s.span.begin, text, s.section, mentions, item=s.item))
        docs: list[Any] = []

        def doc_of(n: int) -> Callable[[], Any]:
            def parse() -> Any:
                if not docs:  # one batch per article, only when some argument needs the parse
                    docs.extend(self.parser.parse(["" if c.index in over_long else c.text for c in contexts]))
                return docs[n]
            return parse

        for n, ctx in enumerate(contexts):
            ctx.parse = doc_of(n)
        self._structure(contexts, article)
        for earlier, ctx in zip(contexts, contexts[1:], strict=False):
            ctx.before = earlier
        myth = self.cues.myth
        for n, ctx in enumerate(contexts):
            ctx.myth = bool(myth["myth_prefix"].match(ctx.text)) or self._myth_item(ctx, contexts, n) \
                or self._quoted_myth_heading(ctx, contexts, n)
            ctx.myth_near = any(myth["myth_words"].search(c.text) for c in contexts[n:n + 2]) or any(
                myth["short_denial"].match(c.text) or myth["refutation_opener"].match(c.text)
                and re.search(r"\b(?:no|not|never|none|nothing|rarely)\b|n't\b", c.text, re.IGNORECASE)
                for c in contexts[n + 1:n + 2])
        salience = self._salience(result.mentions)
        focus = self._author_focus(contexts)
        conditions = [(n, iri) for iri, n in salience.items() if "condition" in self.vocab.categories(iri)]
        for ctx in contexts:
            ctx.topic_condition = max(conditions)[1] if conditions else None
        for n, ctx in enumerate(contexts):
            if ctx.text.rstrip().endswith(":"):
                for item in contexts[n + 1:]:
                    if item.section != "body" or (item.text.rstrip().endswith((".", "!", "?"))
                                                  and len(item.text.split()) > 10):
                        break
                    ctx.items.append(item)
        seen: set[Claim] = set()

        def add(claim: Claim) -> None:
            if claim not in seen:
                seen.add(claim)
                result.claims.append(claim)

        for n, ctx in enumerate(contexts):
            question = ctx.text.rstrip().endswith("?")
            if ctx.section in ("title", "byline", "specialties", "bio") or (
                    ctx.section == "heading" and not (question or ctx.myth)):
                continue  # a heading is no claim, unless it asks ("Does X cause Y?") or states a myth
            if ctx.index in over_long:
                continue  # no real sentence is this long (a run-on line, a table dump): mentions only, never hang
            prev = contexts[n - 1] if n else None
            claims = self._sentence_claims(ctx, prev, salience, focus, minter, result)
            if question:
                # A question is never a claim by itself; a yes/no answer right after it gives the polarity.
                answer = next((c for c in contexts[n + 1:] if c.section != "heading"), None)
                claims = self._answered(claims, answer)
            denied = {(c.subject, c.predicate, c.object) for c in claims if c.negated}
            for claim in claims:
                # A sentence that affirms and denies the same triple keeps the denial, never the fact.
                if claim.negated or (claim.subject, claim.predicate, claim.object) not in denied:
                    add(claim)
        pending = [c for c in result.claims if PENDING in c.cues]
        result.claims = [c for c in result.claims if PENDING not in c.cues]
        for claim in self._refuted(pending, result, contexts):
            add(claim)
        for claim in self._instance_lists(contexts, result, minter):
            add(claim)
        for claim in self._framed_lists(contexts, result, minter):
            add(claim)
        # a phrase minted on the way to a claim that was not made is no concept of the page
        untyped = {iri for iri, c in result.minted.items() if c.types == (self._UNTYPED,)}
        result.claims = [c for c in result.claims if c.subject not in untyped and c.object not in untyped]
        used = {iri for c in result.claims for iri in (c.subject, c.object)}
        result.minted = {iri: c for iri, c in result.minted.items() if iri in used}
        return result

    def _refuted(self, pending: list[Claim], result: Extraction, contexts: list[SentenceContext]) -> list[Claim]:
        """What people are said to believe ('You may have heard that "eating eggs causes gallstones"') is
        denied when one of the next two sentences denies it ('Eggs don't cause gallstones'): the same
        predicate and concepts, or a concept named inside the other's label ('eating eggs', 'eggs')."""
        if not pending:
            return []
        concepts = {**self.vocab.concepts, **result.minted}

        def folded(iri: str) -> list[str]:
            return list(fold(concepts[iri].label)) if iri in concepts else []

        def same(a: str, b: str) -> bool:
            la, lb = folded(a), folded(b)
            return a == b or bool(la and lb) and any(
                short == long[k:k + len(short)] for short, long in ((la, lb), (lb, la)) if len(short) <= len(long)
                for k in range(len(long) - len(short) + 1))

        out = []
        for claim in pending:
            section = contexts[claim.sentence].section
            if any(c.negated and c.predicate == claim.predicate and claim.sentence < c.sentence <= claim.sentence + 2
                   and contexts[c.sentence].section == section and same(c.subject, claim.subject)
                   and same(c.object, claim.object) for c in result.claims):
                out.append(replace(claim, cues=tuple(c for c in claim.cues if c != PENDING) + ("refuted after",)))
        return out

    _INSTANCE_INTRO = re.compile(r"^\W*(?:these|they|those|examples|such\s+\w+)\s+(?:can\s+|may\s+|might\s+)?"
                                 r"(?:include|includes|are|being|is)(?:\s+things\s+like)?\s*:\s*$", re.IGNORECASE)

    def _instance_lists(self, contexts: list[SentenceContext], result: Extraction, minter: Minter) -> list[Claim]:
        """'Some medicines can cause constipation. These include:' / '- iron tablets': each item
        stands for the previous sentence's subject in that sentence's claims (its polarity and hedge)."""
        out: list[Claim] = []
        by_sentence: dict[int, list[Claim]] = {}
        for c in result.claims:
            by_sentence.setdefault(c.sentence, []).append(c)
        for n, ctx in enumerate(contexts):
            if not n or not ctx.items or not self._INSTANCE_INTRO.match(ctx.text):
                continue
            prev = contexts[n - 1]
            for claim in by_sentence.get(prev.index, []):
                slots = self.cues.raw["slots"][self._predicate_name(claim.predicate)]
                for item in ctx.items:
                    cut = self._item_head_end(item)
                    if not 0 < len(item.text[:cut].split()) <= 12 or not self._noun_phrase(item, cut):
                        continue
                    for a in self._list_args(item, 0, cut, slots, "subject", minter, result):
                        if a.iri != claim.object:
                            item.listed = True
                            out.append(replace(claim, subject=a.iri, sentence=item.index,
                                               cues=(*claim.cues, "list: instances")))
        return out

    def _predicate_name(self, iri: str) -> str:
        return next(name for name, p in self.cues.raw["predicates"].items() if p == iri)

    def _answered(self, claims: list[Claim], answer: SentenceContext | None) -> list[Claim]:
        """A yes/no question's claims as its answer decides them: 'No.' denies, 'Yes, it can.'
        affirms (with the answer's hedge); no answer, or a negated question, gives nothing."""
        if answer is None or any(c.negated for c in claims):
            return []
        no, yes = self.cues.answers
        if no.match(answer.text):
            return [replace(c, negated=True, cues=(*c.cues, "answer: no")) for c in claims]
        if yes.match(answer.text):
            certainty, hedges = self._certainty(answer.text, 0, min(len(answer.text), 40))
            if certainty == ASSERTED:
                certainty = next((c.certainty for c in claims if c.hedged), ASSERTED)
            return [replace(c, certainty=certainty, cues=(*c.cues, "answer: yes", *hedges)) for c in claims]
        return []

    # ---- the page's structure ------------------------------------------------------------------

    def _structure(self, contexts: list[SentenceContext], article: Article) -> None:
        """Each sentence's heading stack (outer first) from the headings' levels."""
        levels = {s.index: s.level for s in article.sentences}
        stack: list[SentenceContext] = []
        headings = [n for n, c in enumerate(contexts) if c.section == "heading"]
        for n, ctx in enumerate(contexts):
            ctx.level, ctx.position, ctx.page_headings = levels[ctx.index], n, headings
            if ctx.section == "heading":
                while stack and levels[stack[-1].index] >= levels[ctx.index]:
                    stack.pop()
                ctx.headings = list(stack)  # the headings a heading stands under
                stack.append(ctx)
            elif ctx.section == "body":
                ctx.headings = list(stack)

    def _list_block(self, contexts: list[SentenceContext], n: int) -> list[SentenceContext]:
        """The list items right after sentence ``n`` (an intro line or a heading)."""
        items = []
        for ctx in contexts[n + 1:]:
            if not ctx.item:
                break
            items.append(ctx)
        return items

    def _frames(self, contexts: list[SentenceContext], n: int) -> list[SentenceContext]:
        """What a list after sentence ``n`` is about: that line, then its headings, inner first,
        then the earlier headings beside its own that it belongs with."""
        ctx = contexts[n]
        own = ctx.headings[-1] if ctx.section == "body" and ctx.headings else ctx if ctx.section == "heading" else None
        frames = [ctx] + list(reversed(ctx.headings)) if ctx.section == "body" else \
            [ctx] + list(reversed(contexts[n + 1].headings[:-1] if n + 1 < len(contexts) else []))
        if own is not None and own.group is None:
            own.group = self._group_heading(contexts, own)  # once per heading: every item of a list asks
        return frames + (own.group or [] if own is not None else [])

    def _group_heading(self, contexts: list[SentenceContext], own: SentenceContext) -> list[SentenceContext]:
        """'Common triggers' (a few lines, no list) / 'Weather and temperature' / '- sunlight' /
        'Food and drink' / ...: in a page without deeper heading levels, a run of short headings
        over lists stands under the heading before the run, when that heading holds no list of its
        own; failing that, a run member that names the relation ('Foods' ... 'Physical triggers')
        names it for the run. Empty unless every heading of the run is a short noun phrase."""
        stops = self.cues.sibling_heading_stops

        def topic_like(h: SentenceContext) -> bool:
            doc = h.parse() if h.parse else None
            return len(h.text.split()) <= 5 and not h.text.rstrip().endswith("?") and not stops.search(h.text) \
                and doc is not None and not any(t.pos_ in ("VERB", "AUX") and t.dep_ == "ROOT" for t in doc)

        def lists(j: int, k: int) -> bool:
            return any(c.item for c in contexts[j + 1:k])

        if not topic_like(own):
            return []
        headings = own.page_headings
        at = bisect.bisect_left(headings, own.position)
        run = [headings[at]]
        for j in reversed(headings[:at]):  # the run's members before the list's own heading
            if contexts[j].level != own.level:
                return []
            if not lists(j, run[0]):  # the run's lead: no list of its own; or the line just before the run
                lead, last = contexts[j], contexts[run[0] - 1]  # ('Common triggers are listed below, by type.')
                if self._frame([lead]) and not stops.search(lead.text):
                    return [lead]
                if last is not lead and self._frame([last]):
                    return [last]
                break
            if not topic_like(contexts[j]) or len(run) > 5:
                break
            run.insert(0, j)
        following = headings[at + 1:] + [len(contexts)]
        for j, nxt in zip(following, following[1:], strict=False):  # and after it
            if contexts[j].level != own.level or not topic_like(contexts[j]) or not lists(j, nxt) or len(run) > 8:
                break
            run.append(j)
        named = [f for j in run if contexts[j] is not own and (f := self._frame([contexts[j]]))]
        return [named[0][1]] if named and len({f[0]["predicate"] for f in named}) == 1 else []

    def _myth_item(self, ctx: SentenceContext, contexts: list[SentenceContext], n: int) -> bool:
        """A list item under an intro or heading that calls the list myths states a myth."""
        if not ctx.item:
            return False
        start = n
        while start > 0 and contexts[start - 1].item:
            start -= 1
        if start == 0:
            return False
        words = self.cues.myth["myth_words"]
        return any(words.search(f.text) for f in self._frames(contexts, start - 1)[:2])

    def _quoted_myth_heading(self, ctx: SentenceContext, contexts: list[SentenceContext], n: int) -> bool:
        """A heading that is nothing but a quotation, under a heading that calls what follows myths
        ('Common myths' / '“Acne is caused by dirty skin”'), or answered by a short denial, states a myth."""
        if ctx.section != "heading" or not re.fullmatch(r'\s*"[^"]{3,200}"\s*[.!]?\s*', ctx.text):
            return False
        words = self.cues.myth["myth_words"]
        answer = next((c for c in contexts[n + 1:] if c.section != "heading"), None)
        return any(words.search(h.text) for h in ctx.headings) or (
            answer is not None and bool(self.cues.myth["short_denial"].match(answer.text)))

    def _framed_lists(self, contexts: list[SentenceContext], result: Extraction, minter: Minter) -> list[Claim]:
        """A list whose intro or heading names a relation without a verb to hang it on ("Common
        triggers" / "the most common ones are:" / "- pollen"): each short noun-phrase item is the
        subject of that relation, its object the condition the frame names, else the page's."""
        claimed = {c.sentence for c in result.claims}
        out: list[Claim] = []
        for n, ctx in enumerate(contexts):
            prose = ctx.section == "body" and not ctx.item and not ctx.text.rstrip().endswith(":")
            if not (ctx.section == "heading" or ctx.text.rstrip().endswith(":")) and not prose:
                continue
            # an item whose own tail says something ('Salmonella, which is found in eggs') is still an entry
            items = [i for i in self._list_block(contexts, n) if not i.myth and not i.listed
                     and (i.index not in claimed or self._noun_rooted(i))]
            if not items or ctx.index in claimed:
                continue
            frames = self._frames(contexts, n)[1:] if prose else self._frames(contexts, n)
            frame = self._frame(frames)  # (a list after a sentence of prose is what its headings say)
            if frame is None:
                continue
            rule, source, match = frame
            name = rule["predicate"]
            slots = self.cues.raw["slots"][name]
            clause = self._clause_start(source.text, match.start())
            # the condition the frame's own clause names, else a heading above it, else the page's;
            # not one of an earlier clause ("Not everyone who is overweight gets gout, but ...")
            conditions = [m.concept for c in [source, *[f for f in frames if f is not source]] for m in c.mentions
                          if "condition" in self.vocab.categories(m.concept)
                          and (c is not source or m.begin - c.begin >= clause)
                          and not (c is not source and m.text.lower() == c.text.strip().lower())]
            if re.match(r"\s+(?:it|them)\b", source.text[match.end():], re.IGNORECASE):
                # "Conditions that can cause it include:": the condition the pronoun refers back to, never
                # the class of the entries ('conditions') before the verb
                at = source.index  # (a context's index is its place in the article's sentences)
                conditions = [m.concept for c in reversed(contexts[max(0, at - 3):at + 1]) for m in reversed(c.mentions)
                              if "condition" in self.vocab.categories(m.concept)
                              and (c is not source or m.begin - c.begin >= match.end())][:1]
            # (a heading that is nothing but a condition names a group of triggers, 'Infections', not the topic)
            target = conditions[0] if conditions else ctx.topic_condition or next(
                (m.concept for m in source.mentions if "condition" in self.vocab.categories(m.concept)), None)
            if target is None:
                continue
            negated, cues = self._polarity(source.text, clause, match, {"predicate": name})
            if len(cues) >= 2:
                continue
            certainty, hedges = self._certainty(source.text, clause, len(source.text))
            predicate = self.cues.raw["predicates"][name]
            # "You are more likely to get X if you:" / "- have diabetes": the verb's object
            conditional = bool(re.search(r"\bif\s+(?:you|they|your child|he|she)\s*:\s*$", ctx.text, re.IGNORECASE))
            for item in items:
                if item.text.rstrip().endswith("?"):
                    continue
                cut = self._item_head_end(item)
                lead = self._CONDITION_VERB.match(item.text) if conditional else None
                start = lead.end() if lead else 0
                advice = self._advice(item, slots, minter, result) if name in ("prevents", "treats") else None
                if advice:  # "To help prevent athlete's foot:" / "- change your socks every day"
                    out += [Claim(a.iri, predicate, target, item.index, negated, certainty,
                                  tuple(cues + hedges + ["list:" + rule["predicate"]])) for a in advice if a.iri != target]
                    continue
                if not 0 < len(item.text[start:cut].split()) <= 12 or not start and not self._noun_phrase(item, cut) \
                        and not self._BEING.fullmatch(item.text, 0, cut):
                    continue  # "Rest and fluids help your body recover": a sentence, not a list entry
                targets = self._purpose_targets(item, cut) if name in ("treats", "prevents") else []
                entries = self._list_args(item, start, cut, slots, "subject", minter, result)
                entries += self._especially(item, cut, entries, slots, result)
                entries += self._category_examples(item, cut, slots, minter, result)
                for a in entries:
                    for goal in targets or [target]:
                        if a.iri != goal:
                            out.append(Claim(a.iri, predicate, goal, item.index, negated, certainty,
                                             tuple(cues + hedges + ["list:" + rule["predicate"]])))
        return out

    def _advice(self, item: SentenceContext, slots: dict[str, Any], minter: Minter, result: Extraction) -> list[Arg]:
        """An imperative entry of a list that says what prevents or treats ('wear flip-flops in
        communal showers', 'change your socks every day', 'don't share towels'): what to use, for
        'use / wear / take / apply X', else the activity, named as a gerund ('changing socks',
        'not sharing towels')."""
        doc = item.parse() if item.parse else None
        if doc is None:
            return []
        words = [t for t in doc if not t.is_space]
        negative = len(words) > 2 and words[0].lower_ in ("do", "don't", "never") and words[1].lower_ in ("n't", "not") \
            or bool(words) and words[0].lower_ == "never"
        verb = next((t for t in words[:3] if t.dep_ == "ROOT"), None)
        if verb is None or verb.tag_ != "VB" or verb.pos_ != "VERB" or verb.i > (2 if negative else 0):
            return []
        obj = _object_through_quantity(verb, ("plenty", "lot", "lots", "more", "less", "enough", "amount"))
        if obj is None or obj.lower_ in ("time", "yourself", "himself", "herself", "themselves", "it", "them", "care"):
            return []  # 'drink plenty of water': the water; 'give yourself time' names nothing
        if verb.lemma_ in self._INSTRUMENT_VERBS and not negative:
            b, head_end = obj.left_edge.idx, self._item_head_end(item)
            return self._list_args(item, b, head_end if head_end > b else obj.idx + len(obj),
                                   slots, "subject", minter, result)
        phrase = [t for t in obj.subtree if t.dep_ not in ("poss", "case", "det") and t.i <= obj.i]
        if not phrase or len(phrase) > 3:
            return []
        label = " ".join([*(["not"] if negative else []), _gerund(verb.lemma_), *(t.lower_ for t in phrase)])
        return [Arg(self._mint(label, slots["mint_subject"], minter, result), item.begin + verb.idx,
                    item.begin + obj.idx + len(obj))]

    _CATEGORY_TAIL = re.compile(r"\s*(?:\*\*)?\s*(?::|[-–—](?=\s))\s*(?:\*\*)?\s*(?:such\s+as\s+|like\s+|e\.g\.\s+)?")

    def _category_examples(self, item: SentenceContext, cut: int, slots: dict[str, Any], minter: Minter,
                           result: Extraction) -> list[Arg]:
        """'Irritants: soaps, detergents and shampoos', 'Allergens – pollen and pet dander': the
        examples after a category's colon or dash are entries too, when they are a list of noun
        phrases (not 'Stress: many people notice flare-ups')."""
        tail = self._CATEGORY_TAIL.match(item.text, cut)
        if not tail or len(item.text[:cut].split()) > 3:
            return []
        rest_b, rest_e = tail.end(), len(item.text.rstrip(" ."))
        doc = item.parse() if item.parse else None
        pieces = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", item.text[rest_b:rest_e])
        if rest_e <= rest_b or doc is None or any(len(p.split()) > 4 for p in pieces) or any(
                t.pos_ == "PRON" and rest_b <= t.idx < rest_e for t in doc) or not self._mentions_in(item, rest_b, rest_e):
            return []  # (the small model tags 'mites' a verb: pieces of a few words, no pronoun, something named)
        return self._list_args(item, rest_b, rest_e, slots, "subject", minter, result)

    _ESPECIALLY = re.compile(r"\s*,?\s*(?:especially|particularly|in\s+particular|notably)\s+", re.IGNORECASE)

    def _especially(self, item: SentenceContext, cut: int, entries: list[Arg], slots: dict[str, Any],
                    result: Extraction) -> list[Arg]:
        """'alcohol, especially red wine': the instance the tail singles out is an entry too, when it
        is a known concept of the entry's kind."""
        tail = self._ESPECIALLY.match(item.text, cut)
        if not tail or len(entries) != 1:
            return []
        end = re.search(r"[,;(]|\s[-–—]\s", item.text[tail.end():])
        stop = tail.end() + (end.start() if end else len(item.text))
        if not self._same_kind(item, entries[0], tail.end(), stop, result):
            return []
        return [self._arg(m, item) for m in self._mentions_in(item, tail.end(), stop)
                if self._fits(m.concept, slots["subject"]) and m.concept != entries[0].iri]

    _PURPOSE = re.compile(r"\s*,?\s*(?:for|against|to\s+(?:ease|relieve|treat|soothe|reduce|calm|bring\s+down|"
                          r"help\s+with|clear|control|manage))\s+", re.IGNORECASE)

    def _purpose_targets(self, item: SentenceContext, cut: int) -> list[str]:
        """'paracetamol or ibuprofen for a headache and a raised temperature' under 'What helps':
        what the entry is for, when its tail names conditions."""
        purpose = self._PURPOSE.match(item.text, cut)
        if not purpose:
            return []
        end = re.search(r"\s[-–—]\s|[;(]|,\s*(?:but|which|as|especially)\b", item.text[purpose.end():])
        stop = purpose.end() + (end.start() if end else len(item.text))
        return list(dict.fromkeys(m.concept for m in self._mentions_in(item, purpose.end(), stop)
                                  if "condition" in self.vocab.categories(m.concept)))

    _CONDITION_VERB = re.compile(r"\s*(?:have|has|had|use|uses|take|takes|wear|wears|go\s+to|goes\s+to|attend|attends)\s+"
                                 r"(?:an?\s+|the\s+|some\s+)?(?:same\s+)?", re.IGNORECASE)

    def _noun_rooted(self, item: SentenceContext) -> bool:
        """Whether a list item is a noun phrase as a whole, its tail a modifier of it ('Listeria,
        found in soft cheeses'), not a sentence ('Retinoids unblock pores')."""
        doc = item.parse() if item.parse else None
        return doc is not None and any(t.dep_ == "ROOT" and t.pos_ in ("NOUN", "PROPN") for t in doc)

    _INSTRUMENT_VERBS = frozenset({"use", "take", "wear", "apply"})  # 'using a spermicide' names the spermicide

    def _noun_phrase(self, item: SentenceContext, cut: int) -> bool:
        """Whether a list item's head part (up to ``cut``) is a noun phrase on the parse: no verb
        of it is the root ('go to bed late', 'rest helps you recover'), and a noun is in it."""
        doc = item.parse() if item.parse else None
        if doc is None:
            return True
        head = item.text[:cut].strip(" .")
        if any(m.text.lower() == head.lower() for m in item.mentions):
            return True  # 'house dust mites': a vocabulary name whatever the parse makes of 'house'
        part = [t for t in doc if t.idx < cut]

        def verb_root(t: Any) -> bool:  # a participle opening a noun ('skipped meals') is no verb root
            participle = t.i == 0 and (t.tag_ in ("VBN", "VBD") or t.tag_ == "VBG" and (
                t.lemma_ in self._INSTRUMENT_VERBS or not any(c.dep_ == "dobj" for c in t.children))) \
                and any(n.pos_ == "NOUN" for n in t.rights)
            # ('Swapping butter for oil' is an action with its object, not a noun; 'using a spermicide' names one)
            return t.dep_ == "ROOT" and t.pos_ in ("VERB", "AUX") and not participle

        action = bool(part) and part[0].tag_ == "VBG" and part[0].lemma_ not in self._INSTRUMENT_VERBS \
            and any(c.dep_ == "dobj" for c in part[0].children)  # 'Swapping butter for oil': an action
        return any(t.pos_ in ("NOUN", "PROPN") for t in part) and not any(verb_root(t) for t in part) and not action

    def _frame(self, frames: list[SentenceContext]) -> tuple[dict[str, Any], SentenceContext, re.Match[str]] | None:
        """The first of ``frames`` that names a list relation ('triggers', 'what helps'), and where."""
        for f in frames:
            for rule in self.cues.list_frames:
                found = rule["regex"].search(f.text)
                if found:
                    return rule, f, found
        return None

    _ITEM_TAIL = re.compile(r",\s*(?:which|who|that|as|especially|particularly|because)\b|\s(?:every|each|twice|once)\s|"
                            r"\s(?:from|in|with|during|at|on|"
                            r"after|before|when|for|around|near)\s|[;:(]|\s[-–—]\s", re.IGNORECASE)

    def _item_head_end(self, item: SentenceContext) -> int:
        """Where a list item's noun phrase ends: before a relative clause, a participle or adverb
        after a comma, or a prepositional tail, never inside a mention ('pollen from grass' ->
        'pollen'; 'E. coli, linked to burgers' -> 'E. coli'; 'soaps, bubble baths' stays whole)."""
        spans = [(m.begin - item.begin, m.end - item.begin) for m in item.mentions]
        inside = lambda pos: any(b < pos + 1 < e for b, e in spans)  # noqa: E731
        ends = [t.start() for t in self._ITEM_TAIL.finditer(item.text) if not inside(t.start())]
        doc = item.parse() if item.parse else []
        for t in doc:
            nxt = doc[t.i + 1] if t.i + 1 < len(doc) else None
            if t.text == "," and nxt is not None and nxt.pos_ in ("VERB", "ADV", "ADP", "PRON", "SCONJ", "AUX") \
                    and not inside(t.idx):
                ends.append(t.idx)
        return min(ends, default=len(item.text.rstrip(". ")))

    def _salience(self, mentions: list[Mention]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in mentions:
            counts[m.concept] = counts.get(m.concept, 0) + 1
        return counts

    def _author_focus(self, contexts: list[SentenceContext]) -> str | None:
        """The treatment the author's byline and bio are about, for 'she treats ...'."""
        for ctx in contexts:
            if ctx.section in ("specialties", "bio"):
                for m in ctx.mentions:
                    if "treatment" in self.vocab.categories(m.concept):
                        return m.concept
        return None

    def _sentence_claims(self, ctx: SentenceContext, prev: SentenceContext | None, salience: dict[str, int],
                         focus: str | None, minter: Minter, result: Extraction) -> list[Claim]:
        claims: list[Claim] = []
        taken: list[tuple[int, int]] = []
        for pattern in self.cues.patterns:
            for m in pattern["regex"].finditer(ctx.text):
                if any(m.start() < e and b < m.end() for b, e in taken):
                    continue
                found = self._apply(pattern, m, ctx, prev, salience, focus, minter, result)
                if found:
                    taken.append((m.start(), m.end()))
                    claims.extend(found)
        claims.extend(self._adjacent(ctx, taken))
        return claims

    def _apply(self, pattern: dict[str, Any], m: re.Match[str], ctx: SentenceContext,
               prev: SentenceContext | None, salience: dict[str, int], focus: str | None,
               minter: Minter, result: Extraction) -> list[Claim]:
        name = pattern["predicate"]
        slots = self.cues.raw["slots"][name]
        if pattern.get("mint") is False:  # a loose verb ('helps'): only vocabulary concepts as its arguments
            slots = {**slots, "mint_subject": None, "mint_object": None}
        if pattern.get("mint_object") is False:  # 'carry': any carrier, but only a known disease carried
            slots = {**slots, "mint_object": None}
        if "object_kinds" in pattern:
            slots = {**slots, "object": pattern["object_kinds"]}
        if name == "distinctFrom":  # 'Glue ear is not the same as an ear infection': an unnamed side is minted
            slots = {**slots, "mint_subject": self._UNTYPED, "mint_object": self._UNTYPED}
        if pattern.get("either_way"):  # 'it is linked to Y': either side may be the cause, a drug included
            either = sorted(set(slots["subject"]) | set(slots["object"]))
            # a phrase no vocabulary entry names is typed as a condition on either side: linked to a
            # known condition it gives no direction, so no claim ('coeliac disease is associated with weaker bones')
            slots = {**slots, "subject": either, "object": either, "mint_subject": slots["mint_object"]}
        if pattern.get("measure"):  # 'lowers LDL cholesterol': any known measurement, mapped to its condition below
            slots = {**slots, pattern["right"]: ["ingredient", "condition", "mechanism", "anatomy", "cause"],
                     f"mint_{pattern['right']}": None}
        clause_start = self._conjoined_clause_start(ctx, m.start(), self._clause_start(ctx.text, m.start()))
        clause_start = self._subject_start(ctx, clause_start, m.start())
        right_end = self._next_clause(ctx, m.end(), self._clause_end(ctx.text, m.end()))
        args: dict[str, list[Arg]] = {"subject": [], "object": []}
        if "left" in pattern:
            left_b, left_e = self._participle_subject(ctx, m.start()) or (clause_start, m.start())
            if pattern.get("doer") and not self._PEOPLE_WHO.match(ctx.text, left_b, left_e):
                return []  # 'more likely to' only of people who do something ('children whose parents ...' is not)
            args[pattern["left"]] = self._left_args(ctx, left_b, left_e, slots, pattern["left"],
                                                    prev, focus, minter, result)
        for group in ("inner", "inner2"):  # arguments inside the trigger ("no link between X and Y")
            if group in pattern:
                b, e = m.span(group)
                if pattern[group] == "object" and re.fullmatch(r"\s*(?:it|them)\s*", ctx.text[b:e], re.IGNORECASE):
                    # "Stress doesn't cause dandruff, but it can make it worse": the clause's earlier condition
                    args["object"] = self._earlier(ctx, 0, m.start(), slots["object"], args["subject"]) \
                        or self._resolve(ctx, prev, slots["object"], result, before=clause_start, at=m.start())
                    continue
                args[pattern[group]] = self._list_args(ctx, b, e, slots, pattern[group], minter, result)
        per_item: list[tuple[int, list[Arg]]] = []
        if "right" in pattern and ctx.items and not ctx.text[m.end():].strip(" :"):
            slot = pattern["right"]
            per_item = [(item.index, self._list_args(item, 0, len(item.text), slots, slot, minter, result))
                        for item in ctx.items]
            args[slot] = [a for _, found in per_item for a in found]
        elif "right" in pattern and re.match(r"\s*(?:no|none of|nothing|neither)\b", ctx.text[m.end():right_end],
                                             re.IGNORECASE):
            return []  # "usually causes no symptoms": no claim either way
        elif "right" in pattern:
            slot = pattern["right"]
            if re.match(r"\s*(?:it|them|this|these)\b", ctx.text[m.end():right_end], re.IGNORECASE) \
                    and not self._determiner_at(ctx, m.end()):  # 'this weak valve' is no pronoun
                args[slot] = self._resolve(ctx, prev, slots[slot], result, before=clause_start, at=m.start())
                if not args[slot] and slot == "object":
                    # "Taking antibiotics for a cold won't make it clear up": the clause's own concept of
                    # the kind, when it is not the subject
                    args[slot] = self._earlier(ctx, clause_start, m.start(), slots[slot], args["subject"]) \
                        if args["subject"] else []
            else:
                args[slot] = self._list_args(ctx, m.end(), right_end, slots, slot, minter, result)
        if pattern.get("right") == "object" and not per_item and args["object"]:
            called = self._NAMED.match(ctx.text, right_end)
            last = max(a.end for a in args["object"]) - ctx.begin
            if called and ctx.parse is not None and any(
                    last <= t.idx < right_end and (t.tag_ in ("VBZ", "VBP", "VBD", "MD") or t.dep_ == "relcl")
                    for t in ctx.parse()):
                called = None  # the name of what a later verb says ('X that keep causing pain are treated by Y, known as Z')
            if called:  # "a sudden, severe pain in the tummy, known as biliary colic": the name is the object
                args["object"] = self._list_args(ctx, *called.span("np"), slots, "object", minter, result) \
                    or args["object"]
        if name == "treats" and pattern.get("right") == "object" and not per_item and args["object"]:
            # "relieve the pain and swelling of an acute attack", "treat the spots and redness of rosacea":
            # what the symptoms are of is treated too
            last = max(a.end for a in args["object"]) - ctx.begin
            of = re.match(r"\s+of\s+", ctx.text[last:right_end])
            if of and not re.search(r"\b(?:but|yet|although|though)\b[^.;]*?(?:\bnot\b|n['’]t\b|\bnever\b)", ctx.text[m.end():]):
                # (not when a contrast denies the rest: 'may ease the itch of heat rash but don't clear the rash')
                whose = [a for a in self._list_args(ctx, last + of.end(), right_end, slots, "object", minter, result)
                         if "condition" in self._categories(a.iri, result) and a.iri in self.vocab.concepts
                         or a.iri == self._condition_in_view(ctx)]
                args["object"] = args["object"] + [a for a in whose if a.iri not in {o.iri for o in args["object"]}]
        if pattern.get("measure") and "right" in pattern:
            args[pattern["right"]] = [high for a in args[pattern["right"]] if (high := self._high(a, result))]
        if pattern.get("right") == "object" and not per_item and name in ("treats", "prevents") and not args["object"]:
            # "kills the bacteria that cause acne", "protects against the germs that cause Y": Y
            via = self._CAUSE_OF.match(ctx.text, m.end())
            if via and any("cause" in self.vocab.categories(k.concept) for k in self._mentions_in(ctx, m.end(), via.end())):
                args["object"] = self._list_args(ctx, via.end(), self._clause_end(ctx.text, via.end()), slots, "object",
                                                 minter, result)
        if "implied" in pattern:  # "makes your hair fall out", "keeps you awake": the trigger names the argument
            label = pattern["implied"]["label"]
            if "{" in label:  # "can irritate the skin": the verb's result on the organ, 'skin irritation'
                organ = m.group("organ").lower()
                label = label.format(organ=self._SINGULAR_ORGAN.get(organ, organ))
            implied = self.vocab.index.get(tuple(fold(label)))
            implied_slot = pattern["implied"]["slot"]
            if implied is None and "{" in pattern["implied"]["label"] and slots.get(f"mint_{implied_slot}"):
                implied = self._mint(label, slots[f"mint_{implied_slot}"], minter, result)
            if implied is None:
                return []
            args[implied_slot] = [Arg(implied, ctx.begin + m.start(), ctx.begin + m.end())]
        if "topic" in pattern:
            args[pattern["topic"]] = self._topic(ctx, prev, slots[pattern["topic"]])
        if "topic_condition" in pattern:
            earlier = [a for a in (prev.subjects if prev and not pattern.get("topic_skips_previous") else [])
                       if self._fits(a.iri, ["condition"])]  # ('X is a trigger.' is about the page's condition)
            # this sentence's condition, the previous sentence's subject, the nearest heading's, the page's
            heading = self._heading_condition(ctx)
            page = [Arg(ctx.topic_condition, 0, 0)] if ctx.topic_condition else []
            named = {a.iri for a in args["subject"]}  # never the subject itself ('X is a well-known trigger.')
            args[pattern["topic_condition"]] = next(
                (found for found in ([a for a in group if a.iri not in named]
                                     for group in (self._topic(ctx, None, ["condition"]), earlier, heading, page))
                 if found), [])
        if "topic_treatment" in pattern:
            args[pattern["topic_treatment"]] = (self._topic(ctx, None, ["treatment"])
                                                or self._salient(args, salience, ["treatment"]))
        if "salient" in pattern:
            args[pattern["salient"]] = self._salient(args, salience, slots[pattern["salient"]])
        if pattern.get("left") == "subject" and len(args["subject"]) == 1:
            # "Some health conditions can raise cholesterol too, including diabetes and ...": the examples
            # of a class named as the subject are the subjects
            args["subject"] = self._class_examples(ctx, args["subject"][0], m.end(), slots) or args["subject"]
        if name == "distinctFrom" and not self._typed_by_other_side(args, result):
            return []
        if not args["subject"] or not args["object"]:
            return []
        if "left" in pattern and args[pattern["left"]]:
            ctx.subjects = args[pattern["left"]]
        ctx.objects = ctx.objects + [a for a in args["object"] if a.iri not in {o.iri for o in ctx.objects}]
        if pattern.get("either_way"):
            # "X is linked to Y" names no direction: the condition is the object, whichever side it
            # stands on; two conditions keep the sentence's order ('Gum disease is linked to heart
            # disease', as annotators read it), and no condition gives no claim.
            conditions = {slot: all("condition" in self._categories(a.iri, result) for a in args[slot])
                          for slot in ("subject", "object")}
            if not conditions["subject"] and not conditions["object"]:
                return []
            if conditions["subject"] and conditions["object"]:
                if any(a.iri in result.minted for slot in ("subject", "object") for a in args[slot]):
                    return []  # a phrase no vocabulary entry names is only typed a condition ('their periods')
                if pattern.get("left") == "object":  # 'X is linked to Y': X, the grammatical subject, first
                    args = {"subject": args["object"], "object": args["subject"]}
            elif conditions["subject"]:
                args = {"subject": args["object"], "object": args["subject"]}
        if re.match(r"(?:one of\s+)?(?:a|an|the)\s", m.group(), re.IGNORECASE) and ctx.text[:m.start()].rstrip().endswith(","):
            clause_start = m.start()  # an appositive ("X, the most common cause of Y") has its own polarity
        if any(not self.cues.boundary.search(ctx.text, u.end(), clause_start)
               for u in self.cues.undecided.finditer(ctx.text, 0, m.start())):
            return []  # "it is not clear that stress alone causes it": left open, so neither fact nor denial
        scoped = self._without_relative_clauses(ctx, clause_start, m.start())
        relative = self._relative_clause_start(ctx, m.start())
        if relative is not None and relative > clause_start \
                and not re.search(r"\bit\s+(?:is|was|'s)\b", ctx.text[clause_start:relative], re.IGNORECASE):
            # (not a cleft: 'it is the heat, not the caffeine, that brings it on' denies the caffeine)
            # "Antibiotics do not work on viruses, such as those that cause colds": the relative
            # clause says what it says whatever the clause it hangs on denies
            scoped = " " * relative + scoped[relative:]
            clause_start = relative
        negated, cues = self._polarity(scoped, clause_start, m, pattern)
        if len(cues) >= 2:
            # Two negations before one trigger are more often two clauses ("X does not cause Y, and
            # Y is not caused by Z") than a double negative: undecidable, so no claim at all.
            return []
        if ctx.myth or _quoted(ctx.text, m.start()) or self.cues.belief.search(ctx.text, 0, m.start()):
            # A stated myth, a quoted statement or what people are said to believe is never
            # affirmed: denied when the page calls it a myth or untrue, or a next sentence denies it.
            if negated:
                return []
            if re.search(r"\b(?:only|solely|purely|entirely|just)\b", ctx.text[clause_start:right_end], re.IGNORECASE):
                return []  # "the myth is that gout is caused only by rich food": the 'only' is denied, not the cause
            # undecided when the page does not call it a myth here: denied only if one of the next
            # sentences denies the same claim (_refuted), else dropped
            negated, cues = True, [*cues, "myth" if ctx.myth or ctx.myth_near else PENDING]
        certainty, hedge_cues = self._certainty(scoped, clause_start, m.end())
        if certainty == "Asserted" and re.search(r"\b(?:if|unless)\s*$", ctx.text[:clause_start], re.IGNORECASE):
            certainty, hedge_cues = "Possible", [*hedge_cues, "if"]  # "If the hair loss is due to a medicine, ..."
        predicate = self.cues.raw["predicates"][name]
        groups = per_item or [(ctx.index, args[pattern.get("right", "object")])]
        for item in ctx.items if per_item else []:
            item.listed = True
        other = "subject" if pattern.get("right", "object") == "object" else "object"
        out = []
        for index, found in groups:
            pairs = [(a, o) for a in args[other] for o in found] if other == "subject" else \
                [(o, a) for a in args[other] for o in found]
            out += [Claim(s.iri, predicate, o.iri, index, negated, certainty, tuple(cues + hedge_cues))
                    for s, o in pairs if s.iri != o.iri]
        right = pattern.get("right")
        if not per_item and right in ("object", "subject") and args[right] and not negated:
            # "X treats bacterial infections, not viral ones"; "Y is caused by a virus, not bacteria"
            for contrast in self._contrast(ctx, args[right][-1], slots, right, minter, result):
                if right == "object":
                    out += [Claim(s.iri, predicate, contrast, ctx.index, True, certainty, (*hedge_cues, "not (contrast)"))
                            for s in args["subject"] if s.iri != contrast]
                else:
                    out += [Claim(contrast, predicate, o.iri, ctx.index, True, certainty, (*hedge_cues, "not (contrast)"))
                            for o in args["object"] if o.iri != contrast]
        return out

    _NAMED = re.compile(r",\s*(?:also\s+|sometimes\s+|often\s+)?(?:known\s+as|called|termed|referred\s+to\s+as)\s+"
                        r"(?P<np>[^,;:.()]{2,60}?)\s*(?=[,;:.()]|$)", re.IGNORECASE)

    _CONTRAST = re.compile(r"(?:\s*\([^()]{1,30}\))?"
                           r"(?:(?:\s*,\s*(?:but\s+)?|\s+but\s+)not|\s*,?\s+(?:rather\s+than|instead\s+of))"
                           r"\s+(?:for\s+|against\s+|by\s+|from\s+)?(?P<np>(?:[\w'-]+\s+){0,2}?[\w'-]+?)"
                           r"(?:\s+(?P<ones>ones?))?"
                           r"(?:\s*,?\s+(?:like|such\s+as|including|e\.g\.)\s+(?P<ex>[^.,;]{1,60}?))?\s*(?:[.,;]|$)",
                           re.IGNORECASE)

    def _contrast(self, ctx: SentenceContext, last: Arg, slots: dict[str, Any], slot: str, minter: Minter,
                  result: Extraction) -> list[str]:
        """'X treats bacterial infections, not viral ones (like flu)': the denied objects, when
        they follow: the contrasted phrase and the vocabulary concepts it gives as examples."""
        m = self._CONTRAST.match(ctx.text, last.end - ctx.begin)
        if not m:
            return []
        examples = [x.concept for x in self.link(m.group("ex") or "") if self._fits(x.concept, slots[slot])]
        head = re.findall(r"[\w'-]+", ctx.text[last.begin - ctx.begin:last.end - ctx.begin])
        phrase = f"{m.group('np')} {head[-1]}" if m.group("ones") and head else m.group("np")
        phrase = re.sub(r"^(?:a|an|the|some|any)\s+", "", phrase, flags=re.IGNORECASE)  # 'rather than a fungus'
        linked = self.link(phrase)
        if len(linked) == 1 and linked[0].begin == 0 and linked[0].end == len(phrase):
            return [linked[0].concept, *examples] if self._fits(linked[0].concept, slots[slot]) else examples
        kind = slots.get(f"mint_{slot}")
        words = phrase.split()
        if not kind or linked or len(words) > 3 or any(w.lower() in self.cues.generic for w in words[:-1]):
            return examples
        return [self._mint(phrase, kind, minter, result), *examples]

    # ---- clause scope ----------------------------------------------------------------------

    _LEAD_ADVERBIAL = re.compile(r"\W*(?:for|in|among|with|without|after|before|during|unlike|despite|"
                                 r"apart from|except|contrary to|according to|as with|like)\s[^,;:]{1,100}?,", re.IGNORECASE)

    def _clause_start(self, text: str, pos: int) -> int:
        """Start of the clause holding ``pos``: after the last boundary or complementizer 'that',
        and after a sentence-opening adverbial ending in a comma ('For people who can't take X,
        Y is used to treat Z': the negation and the X belong to the opener, not the clause)."""
        label = _LABEL.match(text)  # 'Fact: In people who ..., X does not ...': the opener after the label
        lead = self._LEAD_ADVERBIAL.match(text, label.end() if label else 0)
        start = lead.end() if lead and lead.end() <= pos else label.end() if label and label.end() <= pos else 0
        for b in self.cues.boundary.finditer(text, start, pos):
            word = b.group().strip(" ,").lower()
            if word in ("which", "who") and text.find(",", b.end(), pos) >= 0:
                continue  # a closed relative clause (", which ..., ") is parenthetical
            start = b.end()
            comma = text.find(",", start, pos)
            if word in SUBORDINATORS and comma >= 0:
                start = comma + 1  # "When that is not enough, X is used": the main clause follows the comma
        for t in re.finditer(r"\bthat\b", text[:pos], re.IGNORECASE):
            before = text[max(0, t.start() - 40):t.start()].lower().split()
            if t.end() > start and before and before[-1].strip(",") in self.cues.raw["complementizer_verbs"]:
                start = t.end()
        return start

    def _clause_end(self, text: str, pos: int) -> int:
        extra = self.cues.raw.get("right_clause_end")
        hit = re.search(extra, text[pos:], re.IGNORECASE) if extra else None
        if hit:
            text = text[:pos + hit.start()]
        m = re.search(r"[;:]|\.(?:\s|$)|,\s*(?:particularly|especially|notably|mainly|mostly)\b"
                      r"|\s(?:rather\s+than|instead\s+of)\s"
                      r"|\b(?:which|who|that|but|while|whereas|because|although|so that|if|unless|when"
                      r"|in order to|to determine|to help)\b"
                      r"|,\s*(?:and\s+)?(?:it|they|this|these|he|she|we|i|you)\b", text[pos:], re.IGNORECASE)
        return pos + m.start() if m else len(text)

    def _without_relative_clauses(self, ctx: SentenceContext, start: int, pos: int) -> str:
        """The sentence with the relative clauses that modify a noun before the trigger blanked out,
        character for character: their negations and hedges are theirs, not the claim's ('someone who
        has never had chickenpox can catch it'); what stands around them still counts."""
        if ctx.parse is None:
            return ctx.text
        text = ctx.text
        for t in ctx.parse():
            if t.dep_ in ("relcl", "acl") and start <= t.left_edge.idx and t.right_edge.idx < pos \
                    and not any(c.idx >= pos for c in t.subtree):
                b, e = t.left_edge.idx, t.right_edge.idx + len(t.right_edge.text)
                text = text[:b] + " " * (e - b) + text[e:]
        return text

    def _participle_subject(self, ctx: SentenceContext, pos: int) -> tuple[int, int] | None:
        """'X can multiply inside it, causing red spots': the participle after a comma is said of
        the subject of the verb it hangs on; that subject's span."""
        if ctx.parse is None or not ctx.text[:pos].rstrip().endswith(","):
            return None
        verb = next((t for t in ctx.parse() if t.idx == pos), None)
        if verb is None or verb.tag_ != "VBG" or verb.dep_ not in ("advcl", "xcomp", "conj") or verb.head.pos_ != "VERB":
            return None
        subject = max((c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass") and c.i < verb.head.i),
                      key=lambda c: c.i, default=None)  # the nearest, when the parse gives two
        if subject is None or subject.pos_ == "PRON":
            return None
        return subject.left_edge.idx, subject.right_edge.idx + len(subject.right_edge.text)

    def _holds_trigger(self, text: str) -> bool:
        """Whether any claim trigger occurs in ``text``."""
        return any(p["regex"].search(text) for p in self.cues.patterns)

    def _subject_start(self, ctx: SentenceContext, start: int, pos: int) -> int:
        """Back to where the trigger verb's subject begins when a clause boundary ('and') falls
        inside that subject ('Dairy products, tinned fish, and green vegetables contain calcium')."""
        if ctx.parse is None:
            return start
        doc = ctx.parse()
        verb = self._token_at(doc, pos)
        while verb is not None and verb.pos_ != "VERB" and verb.i + 1 < len(doc) and verb.idx < pos + 12:
            verb = doc[verb.i + 1]  # 'can cause': the auxiliary's verb
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None) if verb is not None else None
        if subject is None or subject.left_edge.idx >= start or subject.pos_ not in ("NOUN", "PROPN") \
                or not re.search(r"(?:,|\band\b|\bor\b)\s*$", ctx.text[subject.left_edge.idx:start]):
            return start  # only a coordination inside the subject, never a complementizer ('found that X')
        inside = {t.i for t in subject.subtree}
        if self._holds_trigger(ctx.text[subject.left_edge.idx:start]):
            return start  # a trigger inside: the parse joined two clauses ('X protects against Y, and Z reduce W')
        if all(t.i in inside for t in doc if subject.left_edge.idx <= t.idx < start):
            return subject.left_edge.idx
        return start

    def _conjoined_clause_start(self, ctx: SentenceContext, pos: int, start: int) -> int:
        """Where the trigger's clause starts when it is the second of two coordinated clauses with
        their own subjects ('X does not cause Y, and Z won't make W any better'): at its subject,
        so the first clause's negation and subject stay out."""
        if ctx.parse is None:
            return start
        token = self._token_at(ctx.parse(), pos)
        while token is not None and token.pos_ not in ("VERB", "AUX") and token.head.i != token.i:
            token = token.head
        if token is None or token.pos_ == "AUX" and token.head.pos_ == "VERB":
            token = token.head if token is not None else None
        while token is not None and token.dep_ == "xcomp" and token.head.pos_ in ("VERB", "AUX"):
            token = token.head  # 'Z tends to make W worse': the clause is that of 'tends'
        if token is None or token.dep_ != "conj" or token.head.i > token.i or not any(
                c.dep_ in ("nsubj", "nsubjpass") for c in token.children):
            return start
        if re.search(r"\bnor\s*$", ctx.text[start:token.left_edge.idx], re.IGNORECASE):
            return start  # 'Neither X nor Y causes Z': one clause with two subjects, whatever the parse says
        return max(start, token.left_edge.idx)

    def _next_clause(self, ctx: SentenceContext, pos: int, end: int) -> int:
        """Where a coordinated clause starts after the trigger, on the parse: the subject of a verb
        conjoined to one before the trigger ('GERD is caused by a weak valve, and the acid
        irritates ...': the argument stops before 'the acid')."""
        if ctx.parse is None or pos >= end:
            return end
        for t in ctx.parse():
            verb = t.head
            if pos < t.idx < end and t.dep_ in ("nsubj", "nsubjpass", "expl") and verb.i > t.i \
                    and verb.pos_ in ("VERB", "AUX") and verb.dep_ in ("conj", "parataxis") \
                    and verb.head.idx < pos:
                edge = t.left_edge
                while edge.i > 0 and edge.nbor(-1).dep_ in ("cc", "punct") and edge.nbor(-1).idx >= pos:
                    edge = edge.nbor(-1)
                return max(pos, min(end, edge.idx))
            finite = t.tag_ in ("VBZ", "VBP", "VBD") or any(c.dep_ == "aux" for c in t.children)
            if pos < t.idx < end and t.pos_ == "VERB" and t.dep_ == "conj" and t.head.i < t.i \
                    and (t.head.idx < pos or finite) \
                    and not any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children):
                # "it reduces inflammation and prevents asthma attacks": the argument stops before 'and prevents'
                edge = min([t, *(c for c in t.lefts if c.dep_ in ("aux", "neg", "advmod", "cc", "punct"))],
                           key=lambda x: x.i)
                while edge.i > 0 and edge.nbor(-1).dep_ in ("cc", "punct") and edge.nbor(-1).idx >= pos:
                    edge = edge.nbor(-1)
                return max(pos, min(end, edge.idx))
        return end

    # ---- arguments -------------------------------------------------------------------------

    def _mentions_in(self, ctx: SentenceContext, b: int, e: int) -> list[Mention]:
        """The mentions inside ``[b, e)`` that the parse heads by a noun: in 'cold, damp weather'
        'cold' and 'damp' are adjectives, not the common cold and mould."""
        inside = [m for m in ctx.mentions if b <= m.begin - ctx.begin and m.end - ctx.begin <= e]
        if not inside or ctx.parse is None:
            return inside
        doc = ctx.parse()
        starts = {t.idx: t for t in doc}

        conditions = {k.begin - ctx.begin: k for k in ctx.mentions if "condition" in self.vocab.categories(k.concept)}

        def modifier(m: Mention) -> bool:  # one word, an adjective modifying the noun after it
            t = starts.get(m.begin - ctx.begin)
            if t is None or t.idx + len(t.text) != m.end - ctx.begin:
                return False
            if t.pos_ in ("NOUN", "PROPN") and t.dep_ == "compound" and t.head.idx in conditions \
                    and "condition" not in self.vocab.categories(m.concept):
                return True  # 'heat rash', 'stress rash': a kind of rash, not heat
            if t.pos_ != "ADJ":
                return False
            if t.dep_ == "acomp" and t.head.lemma_ in ("feel", "be", "get", "become", "keep", "stay"):
                return True  # 'feeling cold': how one feels, not the common cold
            return t.dep_ in ("amod", "conj") and t.head.pos_ == "NOUN" and t.head.i > t.i

        return [m for m in inside if not modifier(m)]

    def _fits(self, iri: str, allowed: list[str]) -> bool:
        cats = self.vocab.categories(iri)
        return not cats or bool(cats & set(allowed))

    def _left_args(self, ctx: SentenceContext, b: int, e: int, slots: dict[str, Any], slot: str,
                   prev: SentenceContext | None, focus: str | None, minter: Minter,
                   result: Extraction) -> list[Arg]:
        """The clause's subject group: coordinated mentions from the first one, or a pronoun's referent."""
        if ctx.subjects and (self._shares_subject(ctx, e) or self._after_coordinated_verb(ctx, b, e)):
            return [a for a in ctx.subjects if self._fits(a.iri, slots[slot])]  # "Statins lower X and reduce Y"
        if not ctx.subjects and self._shares_subject(ctx, e):
            span = self._first_conjunct_subject(ctx, e)
            if span and span[1] <= e:
                b, e = span  # "it contains purines and also raises uric acid": the subject of 'contains'
        near = re.search(r"(?:^|[,;])\s*(?:it|they|this|these)\s+(?:[\w'’]+\s+){0,3}$", ctx.text[b:e], re.IGNORECASE)
        if near and near.start() > 0 and self._VERB_GAP.match(re.sub(r"^[,;]?\s*(?:it|they|this|these)\b", "", near.group(),
                                                                  flags=re.IGNORECASE)):
            b += near.start() + 1  # "In older people, pregnant women and others, it can lead to Y": the pronoun
        doers = self._people_who(ctx, b, e, slots[slot])
        if doers is not None:
            return doers  # "People who cracked their knuckles were no more likely to get arthritis"
        neither = re.match(r"\W*neither\s+", ctx.text[b:e], re.IGNORECASE)
        if neither and re.search(r"\snor\s", ctx.text[b:e], re.IGNORECASE):
            b += neither.end()  # "Neither sugar nor additives cause Y": both are the subject
        e = self._locative_tail(ctx, b, e)  # "Some fragrances in sunscreen can cause Y": not the sunscreen
        appositive = re.match(r"([^,]{2,60}?),\s*(?:a|an|the|one|(?:also\s+|sometimes\s+)?(?:known\s+as|called))\s"
                              r"[^,]{2,80},\s*(?:[\w'’]+\s+){0,2}$", ctx.text[b:e], re.IGNORECASE)
        if appositive and self._mentions_in(ctx, b, b + appositive.end(1)):
            e = b + appositive.end(1)  # "Thimerosal, a preservative once used in vaccines, does not cause Y"
        aside = self._CLOSED_RELATIVE.match(ctx.text, b, e)
        if aside:
            e = aside.end(1)  # "A gallbladder flush, in which you drink olive oil, does not ...": not the olive oil
        singled = self._SINGLED_OUT.match(ctx.text, b, e)
        if singled and self._mentions_in(ctx, b, singled.end(1)):
            # "Alcohol, especially red wine, is a trigger": the class is the subject, and so is its instance
            named = self._left_args(ctx, b, singled.end(1), slots, slot, prev, focus, minter, result)
            instances = [self._arg(m, ctx) for m in self._mentions_in(ctx, *singled.span(2))
                         if self._fits(m.concept, slots[slot])]
            return named + [a for a in instances if a.iri not in {h.iri for h in named}] if named else []
        mentions = [m for m in self._mentions_in(ctx, b, e) if self._fits(m.concept, slots[slot])]
        if not mentions and slots.get(f"{slot}_fallback"):
            # "The sun doesn't cure acne": a cause may be said to treat, when it heads the subject itself
            lead = re.match(r"\W*(?:(?:the|a|an|your|some|too\s+much)\s+)?", ctx.text[b:e], re.IGNORECASE)
            mentions = [m for m in self._mentions_in(ctx, b, e) if m.begin - ctx.begin in (b, b + (lead.end() if lead else 0))
                        and self._fits(m.concept, slots[f"{slot}_fallback"])][:1]
        relative = self._relative_antecedent(ctx, mentions, b, e)
        if relative is not None:
            return relative
        if re.search(r"\b(?:which|who)\s*$", ctx.text[max(0, b - 8):b], re.IGNORECASE) and not mentions:
            before = [m for m in self._mentions_in(ctx, 0, b) if self._fits(m.concept, slots[slot])]
            return [self._arg(before[-1], ctx)] if before else []
        head = ctx.text[b:e].strip().lower()
        if not mentions and ctx.subjects and self._VERB_GAP.match(head):
            return [a for a in ctx.subjects if self._fits(a.iri, slots[slot])]  # "... and is managed by"
        if not mentions and b > 0 and self._VERB_GAP.match(head) and re.search(r"\band\s*$", ctx.text[:b]):
            opening = self._opening_group(ctx, b, slots[slot])
            if opening:
                return opening  # "X aren't needed for Y and won't make Z better"
        first_word = re.match(r"^[\W]*([a-z']+(?:\s+(?:treatment|treatments|procedure|drug|medication))?)", head)
        pronouns = self.cues.raw["pronouns"]
        about_author = (first_word and first_word.group(1) in pronouns["author"]) or (
            not mentions and ctx.section == "bio"
            and any(w in pronouns["author"] for w in re.findall(r"[a-z']+", head)))
        if about_author:
            ok = focus is not None and self._fits(focus, slots[slot])
            return [Arg(focus, ctx.begin + b, ctx.begin + b)] if ok and focus else []
        if mentions:
            group = self._adjacent_group(ctx, mentions, e) or self._group(ctx, mentions, e)
            start = min(a.begin for a in group) - ctx.begin
            first = next(m for m in mentions if m.begin == group[0].begin)
            kind_start = self._classified(ctx, first, b)
            if kind_start is not None and kind_start < start:
                start = kind_start  # "the shingles vaccine": the modifier names which vaccine
            if re.search(r"\S.*(?:,|\band\b|\bor\b|\bnor\b)\s*[\"']?\s*$", ctx.text[b:self._modifiers_start(ctx, b, start)]) \
                    and not self._holds_trigger(ctx.text[b:start]):
                start = b  # "colon cleansing or detox teas", "Dairy products, tinned fish with bones, and ...": every conjunct
            if self._KEPT_AWAY.search(ctx.text, b, start):
                return []  # "Keeping your child away from cigarette smoke helps prevent Y": never the smoke itself
            inverted = self.cues.inverting.search(ctx.text, b, start)
            if inverted:  # "Infrequent hair washing can ...": the phrase, never the bare concept
                return self._list_args(ctx, inverted.start(), e, slots, slot, minter, result, strip_verbs=True)
            items = self._list_args(ctx, start, e, slots, slot, minter, result, strip_verbs=True)
            covered = all(any(a.iri == i.iri or i.begin <= a.begin and a.end <= i.end for i in items) for a in group)
            return items if covered else group
        head = self._EXPECT.sub("", head)  # "don't expect them to cure Y": 'them' is the subject
        head = re.sub(r"^\W*(?:[\w'’-]+\s+){0,3}?[\w'’-]+,\s*(?=(?:it|they|this|these)\b)", "", head)  # "Later, it"
        pronoun = next((p for p in sorted(pronouns["concept"], key=len, reverse=True)
                        if re.match(rf"^\W*{re.escape(p)}\b", head)), None)
        if pronoun is None and re.match(r"^\W*them\b", head):
            pronoun = "they"
        if pronoun in ("this", "these"):
            before = [m for m in self._mentions_in(ctx, 0, b) if self._fits(m.concept, slots[slot])]
            if before:
                return [self._arg(before[-1], ctx)]  # "X ...; this can lead to Y": the nearest antecedent
        if pronoun in ("they", "it") and not [a for a in ctx.subjects if a.end <= ctx.begin + e]:
            opening = self._opening_group(ctx, b, slots[slot])
            if opening:
                return opening  # "Fizzy drinks are recommended, but they contain sugar": the sentence's own subject
        if pronoun in ("it", "they", "this"):
            main = self._main_clause_antecedent(ctx, b, e, slots[slot])
            if main:
                return main  # "Don't give ibuprofen ..., because it is linked to Y": the main clause's noun
        if pronoun == "both" and prev is not None and not ctx.subjects:
            pair = self._clause_subjects(prev, slots[slot])
            if len(pair) == 2:
                return pair  # "UVB burns the skin, while UVA goes deeper. Both contribute to skin cancer."
        if pronoun:
            return self._resolve(ctx, prev, slots[slot], result, at=e,
                                 mint=lambda c, pb, pe: self._mint_from(c, pb, pe, slots, slot, minter, result))
        first_piece = ctx.text.find(",", b, e)
        if first_piece > b and re.search(r",[^,]+\s(?:and|or)\s[^,]+$", ctx.text[b:e]) \
                and not self._holds_trigger(ctx.text[b:e]):
            first_piece = e  # "Sweaty feet, tight shoes and walking barefoot can all lead to Y": every conjunct
        return self._list_args(ctx, b, first_piece if first_piece > b else e, slots, slot, minter, result,
                               strip_verbs=True)

    _CLOSED_RELATIVE = re.compile(r"\W*([^,]{2,60}?),\s*(?:in\s+which|during\s+which|by\s+which|where|which|who|whose)\s"
                                  r"[^,]{2,80},\s*(?:[\w'’]+\s+){0,3}$", re.IGNORECASE)

    _KEPT_AWAY = re.compile(r"\b(?:away\s+from|staying\s+out\s+of|keeping\s+out\s+of|out\s+of\s+reach\s+of|clear\s+of)\s+"
                            r"(?:the\s+|any\s+)?$", re.IGNORECASE)

    _SINGULAR_ORGAN = {"eyes": "eye", "gums": "gum", "kidneys": "kidney", "nerves": "nerve", "lungs": "lung",
                       "bones": "bone", "teeth": "tooth", "lips": "lip", "joints": "joint"}

    _SINGLED_OUT = re.compile(r"\W*([^,]{2,60}?),\s*(?:especially|particularly|notably|in\s+particular|mainly|mostly)\s+"
                              r"([^,]{2,60}),\s*(?:[\w'’]+\s+){0,2}$", re.IGNORECASE)

    _EXPECT = re.compile(r"^\W*(?:(?:do not|don't|never)\s+)?(?:expect|rely on|count on)\s+", re.IGNORECASE)

    _UNTYPED = "urn:healthkg:untyped"  # a minted concept's kind until the claim gives it one

    def _typed_by_other_side(self, args: dict[str, list[Arg]], result: Extraction) -> bool:
        """A concept minted on one side of 'X is not the same as Y' takes the other side's kind
        ('glue ear' vs 'ear infection': a condition); with both sides unnamed there is no claim."""
        def untyped(a: Arg) -> bool:
            return a.iri in result.minted and result.minted[a.iri].types == (self._UNTYPED,)

        sides = [args["subject"], args["object"]]
        if not all(sides):
            return True
        for side, other in ((sides[0], sides[1]), (sides[1], sides[0])):
            known = [a for a in other if not untyped(a)]
            for a in side:
                if untyped(a):
                    if not known:
                        return False
                    kinds = self._types(known[0].iri, result)
                    result.minted[a.iri] = replace(result.minted[a.iri], types=kinds)
        return True


    _CLASS_NOUNS = frozenset({"condition", "conditions", "illness", "illnesses", "disease", "diseases", "medicine",
                              "medicines", "medication", "medications", "drug", "drugs", "food", "foods",
                              "infection", "infections", "supplement", "supplements", "treatment", "treatments"})

    def _class_examples(self, ctx: SentenceContext, subject: Arg, after: int, slots: dict[str, Any]) -> list[Arg]:
        """The examples a sentence gives, on its verb, of a subject that names a class ('Some
        conditions ..., including X and Y'), when they are of the kind the subject slot takes."""
        words = re.findall(r"[a-z]+", ctx.text[subject.begin - ctx.begin:subject.end - ctx.begin].lower())
        if not words or words[-1] not in self._CLASS_NOUNS or ctx.parse is None:
            return []
        marker = next((t for t in ctx.parse() if t.idx >= after and t.lower_ in ("including", "like", "as")
                       and t.dep_ == "prep" and t.head.pos_ in ("VERB", "AUX")
                       and ctx.text[:t.idx].rstrip().endswith((",", "such"))), None)
        if marker is None:
            return []
        end = self._clause_end(ctx.text, marker.idx + len(marker.text))
        found = [self._arg(m, ctx) for m in self._mentions_in(ctx, marker.idx, end)
                 if self.vocab.categories(m.concept) & set(slots["subject"])]
        return list({a.iri: a for a in found}.values())

    _PEOPLE = frozenset({"people", "person", "you", "we", "children", "child", "adult", "adults", "patient",
                         "patients", "women", "woman", "men", "man", "parent", "parents", "someone", "anyone"})

    def _clause_subjects(self, ctx: SentenceContext, allowed: list[str]) -> list[Arg]:
        """The known concepts that are subjects of the sentence's verbs, conjuncts included."""
        if ctx.parse is None:
            return []
        out: dict[str, Arg] = {}
        for t in ctx.parse():
            if t.dep_ in ("nsubj", "nsubjpass") or t.dep_ == "conj" and t.head.dep_ in ("nsubj", "nsubjpass"):
                for m in self._mentions_in(ctx, t.left_edge.idx, t.idx + len(t.text)):
                    if m.end - ctx.begin == t.idx + len(t.text) and self.vocab.categories(m.concept) & set(allowed):
                        out.setdefault(m.concept, self._arg(m, ctx))
        return list(out.values())

    def _locative_tail(self, ctx: SentenceContext, b: int, e: int) -> int:
        """Where a subject's locative, temporal or purpose modifier starts ('fragrances [in sunscreen]',
        'smoking [during pregnancy]', 'drinking [to get to sleep]') when a vocabulary concept is named inside it: the subject is
        the noun it modifies."""
        if ctx.parse is None:
            return e
        spans = [(m.begin - ctx.begin, m.end - ctx.begin) for m in ctx.mentions]
        named = lambda t: any(mb <= t.idx < me for mb, me in spans)  # noqa: E731
        for t in ctx.parse():
            preps = ("in", "on", "inside", "within", "during", "after", "before", "while")
            if b <= t.idx < e and t.dep_ == "prep" and t.lower_ in preps + (("for",) if t.head.tag_ == "VBG" else ()) \
                    and (t.head.pos_ in ("NOUN", "PROPN") or t.head.tag_ == "VBG" and t.lower_ in (
                        "during", "after", "before", "while", "for")) and b <= t.head.idx < t.idx \
                    and any(c.dep_ == "pobj" and named(c) for c in t.children):
                return t.idx
            if b <= t.idx < e and t.dep_ in ("acl", "advcl") and t.tag_ == "VB" and t.head.pos_ in ("NOUN", "PROPN") \
                    and b <= t.head.idx < t.idx and any(named(d) for d in t.subtree):
                return t.left_edge.idx  # "regular drinking [to get to sleep] makes Y worse": not the sleep
        return e

    def _determiner_at(self, ctx: SentenceContext, pos: int) -> bool:
        """Whether the first word at or after ``pos`` determines a noun ('this valve')."""
        if ctx.parse is None:
            return False
        word = next((t for t in ctx.parse() if t.idx >= pos and not t.is_space), None)
        return word is not None and word.dep_ == "det" and word.head.pos_ in ("NOUN", "PROPN")

    def _main_clause_antecedent(self, ctx: SentenceContext, b: int, e: int, allowed: list[str]) -> list[Arg]:
        """A pronoun subject of a clause subordinate to this sentence's main verb ('because it ...'):
        the main clause's subject, or its object when the main clause has no subject (an
        imperative), when that is a fitting mention."""
        if ctx.parse is None:
            return []
        doc = ctx.parse()
        pron = next((t for t in doc if b <= t.idx < e and t.pos_ == "PRON"), None)
        if pron is None or pron.dep_ not in ("nsubj", "nsubjpass"):
            return []
        clause = pron.head
        while clause.dep_ in ("xcomp", "ccomp") and clause.head != clause:
            clause = clause.head
        if clause.dep_ == "conj" and clause.head.i < clause.i and clause.head.pos_ in ("VERB", "AUX"):
            main = clause.head  # "A verruca is a wart, and it is caused by HPV": the first clause's subject
        else:
            while clause.dep_ in ("conj", "xcomp", "ccomp") and clause.head != clause:
                clause = clause.head
            if clause.dep_ != "advcl" or clause.head == clause:
                return []
            main = clause.head
        roles = [c for c in main.children if c.dep_ in ("nsubj", "nsubjpass")] + \
            [c for c in main.children if c.dep_ == "dobj"]
        for role in roles:
            span = (role.left_edge.idx, role.right_edge.idx + len(role.right_edge.text))
            found = [m for m in self._mentions_in(ctx, *span) if self._fits(m.concept, allowed)]
            if role.pos_ != "PRON" and found:
                return [self._arg(found[0], ctx)]
        return []

    def _after_coordinated_verb(self, ctx: SentenceContext, b: int, e: int) -> bool:
        """'Statins lower LDL and reduce ...' on the surface: the subjects found so far stand in
        ``[b, e)``, another trigger follows them and 'and' ends the region."""
        if not re.search(r"\band\s*$", ctx.text[b:e]):
            return False
        last = max(a.end for a in ctx.subjects) - ctx.begin
        return b <= last < e and any(p["regex"].search(ctx.text[:e], last) for p in self.cues.patterns)

    def _shares_subject(self, ctx: SentenceContext, pos: int) -> bool:
        """Whether the verb at ``pos`` is conjoined to an earlier verb and has no subject of its own
        ('Statins lower LDL and reduce the risk of stroke': 'reduce' is said of the statins)."""
        if ctx.parse is None:
            return False
        verb = self._token_at(ctx.parse(), pos)
        if verb is None or verb.pos_ != "VERB":
            return False
        return verb.dep_ == "conj" and verb.head.i < verb.i and verb.head.pos_ == "VERB" and not any(
            c.dep_ in ("nsubj", "nsubjpass", "expl") for c in verb.children)

    def _first_conjunct_subject(self, ctx: SentenceContext, pos: int) -> tuple[int, int] | None:
        """The span of the subject of the first verb that the verb at ``pos`` is conjoined to."""
        verb = self._token_at(ctx.parse(), pos) if ctx.parse else None
        while verb is not None and verb.dep_ in ("conj", "xcomp") and verb.head != verb:
            verb = verb.head  # 'they help restore X and prevent Y': the subject of 'help'
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None) if verb is not None else None
        if subject is None:
            return None
        return subject.left_edge.idx, subject.right_edge.idx + len(subject.right_edge.text)

    def _opening_group(self, ctx: SentenceContext, b: int, allowed: list[str]) -> list[Arg]:
        """The coordinated mentions the sentence opens with, when they stand before ``b``."""
        opening = [m for m in self._mentions_in(ctx, 0, b) if self._fits(m.concept, allowed)]
        if opening and not ctx.text[:opening[0].begin - ctx.begin].strip(" \"'"):
            return self._group(ctx, opening, b)
        return []

    def _relative_antecedent(self, ctx: SentenceContext, mentions: list[Mention], b: int,
                             e: int) -> list[Arg] | None:
        """'X, which is ...' / 'X that causes ...': the subject is the noun before the relative pronoun."""
        rel = None
        for r in re.finditer(r"(?:^|,\s*|\s)(which|who|that)\s", ctx.text[b:e], re.IGNORECASE):
            rel = b + r.start(1)
        if rel is not None and mentions and all(m.begin - ctx.begin > rel for m in mentions) \
                and re.search(r"[A-Za-z]{3,}", ctx.text[b:rel]) and ctx.parse is not None \
                and any(t.dep_ == "relcl" and t.idx > rel and t.head.idx < rel and t.head.pos_ == "NOUN"
                        for t in ctx.parse()):
            return []  # "the nurses who give vaccines are trained to treat them": not the vaccines
        if rel is not None and ctx.parse is not None and any(m.begin - ctx.begin > rel for m in mentions):
            inside = next((t for t in ctx.parse() if t.dep_ == "relcl" and t.idx > rel and t.head.idx < rel
                           and t.head.pos_ in ("NOUN", "PROPN")), None)
            held = [m for m in mentions if m.end - ctx.begin <= rel]
            if inside is not None and held and all(
                    inside.left_edge.idx <= m.begin - ctx.begin and m.end - ctx.begin <= inside.right_edge.idx
                    + len(inside.right_edge.text) for m in mentions if m.begin - ctx.begin > rel):
                return [self._arg(held[-1], ctx)]  # "Gallstones that keep causing pain are treated by Y": the gallstones
            return None
        if rel is None:
            return None
        before = [m for m in mentions if m.end - ctx.begin <= rel]
        if not before:
            return None
        said_of = self._copula_subject(ctx, before[-1], mentions)
        if said_of is None and self._of_an_unnamed_noun(ctx, before[-1]):
            return []  # "a weakened form of the virus that cannot cause flu": not the virus itself
        return [self._arg(said_of or before[-1], ctx)]

    def _of_an_unnamed_noun(self, ctx: SentenceContext, m: Mention) -> bool:
        """Whether the mention only completes 'of' after a noun no vocabulary entry names ('a
        weakened form of the virus', 'a strain of bacteria')."""
        if ctx.parse is None:
            return False
        t = self._token_at(ctx.parse(), m.end - ctx.begin - 1)
        if t is None or t.dep_ != "pobj" or t.head.lower_ != "of" or t.head.head.pos_ != "NOUN":
            return False
        head = t.head.head
        return not any(k.begin - ctx.begin <= head.idx < k.end - ctx.begin for k in ctx.mentions) \
            and head.lower_ not in self.cues.generic

    def _copula_subject(self, ctx: SentenceContext, m: Mention, mentions: list[Mention]) -> Mention | None:
        """'Gout is a type of arthritis that causes pain': the relative clause is said of the
        copula's subject, which the predicate noun (or a 'type/kind/form of' it) only classifies."""
        if ctx.parse is None:
            return None
        doc = ctx.parse()
        t = self._token_at(doc, m.end - ctx.begin - 1)
        while t is not None and t.dep_ in ("compound", "amod", "nmod") and t.head != t:
            t = t.head
        if t is not None and t.dep_ == "pobj" and t.head.text.lower() == "of" \
                and t.head.head.lemma_.lower() in ("type", "kind", "form", "cause", "example"):
            t = t.head.head
        if t is None or t.dep_ != "attr" or t.head.lemma_ != "be":
            return None
        subject = next((c for c in t.head.children if c.dep_ == "nsubj"), None)
        if subject is None:
            return None
        return next((k for k in mentions if subject.left_edge.idx <= k.begin - ctx.begin
                     and k.end - ctx.begin <= subject.right_edge.idx + len(subject.right_edge.text)), None)

    _VERB_GAP = re.compile(r"^(?:[\s,\x27\x22]|\b(?:\w+ly|not|never|also|still|can|may|might|could|will|would|should|must|"
                           r"do|does|did|is|are|was|were|be|been|being|has|have|had|often|sometimes|generally|"
                           r"typically|all|both|themselves|itself|alone|n't|each|then|won't|can't|cannot|don't|doesn't|didn't|isn't|aren't|"
                           r"wouldn't|couldn't|shouldn't)\b)*$", re.IGNORECASE)

    def _modifiers_start(self, ctx: SentenceContext, b: int, start: int) -> int:
        """Back from ``start`` over the determiner and adjectives of the noun phrase it begins ('and a
        previous shin injury': the coordination stands before 'a previous')."""
        doc = ctx.parse() if ctx.parse is not None else []
        for t in reversed([t for t in doc if b <= t.idx < start and not t.is_space]):
            if t.dep_ not in ("det", "amod", "nummod", "compound", "advmod") or t.head.idx < start:
                break
            start = t.idx
        return start

    def _adjacent_group(self, ctx: SentenceContext, mentions: list[Mention], e: int) -> list[Arg]:
        """The coordinated group that ends right before the verb, when only auxiliaries stand between."""
        last = mentions[-1]
        if not self._VERB_GAP.match(ctx.text[last.end - ctx.begin:e]):
            return []
        start = len(mentions) - 1
        while start > 0 and [a.iri for a in self._group(ctx, mentions[start - 1:], e)][-1:] == [last.concept] \
                and len(self._group(ctx, mentions[start - 1:], e)) == len(mentions) - start + 1:
            start -= 1
        return self._group(ctx, mentions[start:], e)

    def _group(self, ctx: SentenceContext, mentions: list[Mention], limit: int) -> list[Arg]:
        """The first mention and those coordinated with it ('A, B and C')."""
        group = [mentions[0]]
        for m in mentions[1:]:
            between = ctx.text[group[-1].end - ctx.begin:m.begin - ctx.begin].lower()
            between = self.cues.fillers.sub(" ", between)  # "colds, flu and most cases of bronchitis"
            between = re.sub(r"\([^()]*\)|[()]", " ", between)  # "proton pump inhibitors (PPIs)"
            between = re.sub(r"^\s*(?:such as|like|e\.g\.)\s+[^,;]{1,40}(?=,)", " ", between)  # "offal such as liver, and"
            words = [w for w in re.split(r"[\s,]+", between) if w]
            example = re.fullmatch(r"\s*,?\s*(?:such as|like|including|e\.g\.?)\s*", between) \
                and self.vocab.categories(m.concept) & self.vocab.categories(group[-1].concept)
            if example or all(w in ("and", "or", "as", "well", "and/or", "both", "either") or w in self.cues.determiners
                              for w in words):
                group.append(m)  # "proton pump inhibitors (PPIs) such as omeprazole": the example of the same kind too
            else:
                break
        return [self._arg(m, ctx) for m in group]

    def _resolve(self, ctx: SentenceContext, prev: SentenceContext | None, allowed: list[str],
                 result: Extraction, before: int | None = None, at: int | None = None,
                 mint: Callable[[SentenceContext, int, int], list[Arg]] | None = None) -> list[Arg]:
        """A pronoun's referent: this sentence's earlier subject (one said before ``at``, where the
        pronoun's verb stands), else (for an object, before ``before``) its nearest earlier known
        concept of the kind, else the previous sentence's subject."""
        subjects = [a for a in ctx.subjects if at is None or a.end <= ctx.begin + at]
        if subjects:
            fitting = [a for a in subjects if allowed and self._categories(a.iri, result) & set(allowed)]
            if fitting or before is None:
                return fitting
            # "Y does not prevent food poisoning, and no evidence that X cures it": 'it' is the illness
            return self._earlier(ctx, 0, before, allowed)
        if before is not None:
            # an object pronoun: this sentence's earlier concept of the kind ('Asthma is not contagious,
            # although the colds that trigger it can' -> asthma)
            earlier = self._earlier(ctx, 0, before, allowed)
            if earlier:
                return earlier
        if prev is None:
            return []
        if before is not None:
            # an object pronoun after a sentence with claims: that sentence's object ('Stress can trigger
            # telogen effluvium. Iron deficiency may cause it too.')
            objects = [a for a in prev.objects if self._categories(a.iri, result) & set(allowed)]
            if objects:
                return objects[:1]
        return self._referent_in(prev, allowed, mint=mint)

    def _earlier(self, ctx: SentenceContext, b: int, e: int, allowed: list[str], besides: Sequence[Arg] = ()) -> list[Arg]:
        """The last concept of an allowed kind in ``[b, e)`` that is none of ``besides`` (the
        claim's subject): what an object pronoun stands for in its own sentence."""
        taken = {a.iri for a in besides}
        found = [k for k in self._mentions_in(ctx, b, e) if self.vocab.categories(k.concept) & set(allowed)
                 and k.concept not in taken]
        return [self._arg(found[-1], ctx)] if found else []

    def _referent_in(self, prev: SentenceContext, allowed: list[str], depth: int = 0,
                     mint: Callable[[SentenceContext, int, int], list[Arg]] | None = None) -> list[Arg]:
        """What a pronoun in the next sentence stands for, from ``prev``: its claims' subject, else
        its main clause's subject (through a pronoun there, to the sentence before), else its
        known concepts of the kind."""
        if prev.subjects:
            return [a for a in prev.subjects if self._fits(a.iri, allowed)]
        doc = prev.parse() if prev.parse else None
        root = next((t for t in doc if t.dep_ == "ROOT"), None) if doc is not None else None
        subject = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")), None) if root is not None else None
        people = subject is not None and subject.lemma_.lower() in self._PEOPLE
        if subject is not None and (subject.pos_ == "PRON" and subject.lower_ in ("it", "they") or people) \
                and depth < 2 and prev.before is not None and prev.before.section == "body":
            # ('Some people notice X. It can also cause Y': 'it' is not what people notice)
            # "The virus stays in the body. After chickenpox, it lies dormant. Later it can cause shingles."
            return self._referent_in(prev.before, allowed, depth + 1, mint)
        if subject is not None:
            span = (subject.left_edge.idx, subject.right_edge.idx + len(subject.right_edge.text))
            main = [m for m in self._mentions_in(prev, *span) if self.vocab.categories(m.concept) & set(allowed)]
            if main:
                return self._group(prev, main, span[1])
            named = mint(prev, *span) if mint and not self._mentions_in(prev, *span) else []
            if named:
                return named  # "Dimeticone lotion coats the lice. It is used to treat head lice.
        fitting = [m for m in prev.mentions if self._fits(m.concept, allowed) and self.vocab.categories(m.concept)]
        return self._group(prev, fitting, len(prev.text)) if fitting else []

    def _topic(self, ctx: SentenceContext, prev: SentenceContext | None, allowed: list[str]) -> list[Arg]:
        """What a recommendation is about: the first condition here or just before, else a treatment."""
        contexts = [c for c in (ctx, prev) if c is not None]
        for kind in allowed:
            for c in contexts:
                for m in c.mentions:
                    if kind in self.vocab.categories(m.concept):
                        return [self._arg(m, c)]
        return []

    def _salient(self, args: dict[str, list[Arg]], salience: dict[str, int], allowed: list[str]) -> list[Arg]:
        """The article's most mentioned concept of a fitting kind, other than the subject."""
        taken = {a.iri for a in args["subject"]}
        ranked = sorted(((n, iri) for iri, n in salience.items()
                         if iri not in taken and self.vocab.categories(iri) & set(allowed)), reverse=True)
        subject_words = {w for a in args["subject"] for w in fold(self.vocab.concepts[a.iri].label)} if all(
            a.iri in self.vocab.concepts for a in args["subject"]) else set()
        for _, iri in ranked:
            if not subject_words or subject_words & set(fold(self.vocab.concepts[iri].label)):
                return [Arg(iri, 0, 0)]
        return [Arg(ranked[0][1], 0, 0)] if ranked else []

    def _compound_head(self, ctx: SentenceContext, m: Mention, end: int) -> bool:
        """'acne scars': the mention only modifies the noun after it, which is the real argument."""
        after = re.match(r"\s+([A-Za-z-]+)", ctx.text[m.end - ctx.begin:end])
        return bool(after and after.group(1).lower() in self.cues.raw.get("compound_heads", []))

    def _list_args(self, ctx: SentenceContext, b: int, e: int, slots: dict[str, Any], slot: str,
                   minter: Minter, result: Extraction, strip_verbs: bool = False) -> list[Arg]:
        """Each item of a coordinated list: its first fitting mention, or a minted concept."""
        text = ctx.text
        out: list[Arg] = []
        pos = b
        pieces: list[tuple[int, int, str]] = []
        spans = [(m.begin - ctx.begin, m.end - ctx.begin) for m in ctx.mentions]
        sep_text = ""
        asides = self._inner_asides(ctx, b, e)
        for sep in self.cues.separators.finditer(text, b, e):
            if any(mb < sep.start() < me for mb, me in spans):
                continue  # never split inside a mention ("itchy, flaky scalp")
            if any(ab <= sep.start() < ae for ab, ae in asides):
                continue  # "the chickenpox (varicella) vaccine": an aside inside one noun phrase
            pieces.append((pos, sep.start(), sep_text))
            pos, sep_text = sep.end(), sep.group().strip().lower()
        pieces.append((pos, e, sep_text))
        stacked = self._stacked_adjectives(ctx, pieces)
        last_was_arg = negated_piece = False
        for n, (pb, pe, sep_before) in enumerate(pieces):
            if n in stacked:  # "cold, dry weather": one noun with two adjectives, 'cold weather'
                concept = stacked[n]
                if concept is not None:
                    out.append(Arg(concept, ctx.begin + pb, ctx.begin + pieces[n + 1][1]))
                    last_was_arg = True
                continue
            if not text[pb:pe].strip():
                continue
            if sep_before == "(" and out and last_was_arg and self._ABBREVIATION.fullmatch(text[pb:pe].strip()):
                # "familial hypercholesterolaemia (FH)": the abbreviation names the concept before it
                minted = result.minted.get(out[-1].iri)
                if minted is not None and text[pb:pe].strip() not in minted.alt_labels:
                    result.minted[out[-1].iri] = replace(minted, alt_labels=(*minted.alt_labels, text[pb:pe].strip()))
                continue
            if sep_before in EXAMPLE_MARKERS and last_was_arg and not self._same_kind(ctx, out[-1], pb, pe, result):
                break  # "wrinkles caused by muscle movement, such as frown lines": examples of the other slot
            if sep_before in EXAMPLE_MARKERS and negated_piece:
                break  # "not viral illnesses like flu": examples of what is denied, never arguments
            negated_piece = bool(re.match(r"\s*(?:but\s+)?(?:not|never|no)\b", text[pb:pe], re.IGNORECASE))
            if sep_before == "," and last_was_arg and re.match(r"\s*(?:a|an|the)\s", text[pb:pe], re.IGNORECASE) \
                    and not any(later in ("and", "or", ", and", ", or") for _, _, later in pieces[n + 1:]):
                last_was_arg = False
                continue  # an appositive: "levothyroxine, a daily tablet that ..." (not "A, the B and C")
            tail = self._PREP_TAIL.search(text, pb, pe)
            if tail and not any(mb < tail.start() + 1 < me for mb, me in spans):
                pe = tail.start()  # "extra mucus during a cold": the argument is the phrase before the tail
            named = re.match(r"\s*(?:an?|the)?\s*(?:[\w-]+\s+){0,4}?(?:called|named|known as)\s+", text[pb:pe],
                             re.IGNORECASE)
            named_kind = None
            if named:
                # "a yeast called Malassezia": the argument is the name, of the kind the noun before it names
                named_kind = next((k for m in self._mentions_in(ctx, pb, pb + named.end())
                                   if (k := self._kind_of(m.concept, slots[slot]))), None)
                pb += named.end()
            diet = self._DIET.fullmatch(text[pb:pe].strip())
            if diet and slots.get(f"mint_{slot}"):
                # "a diet low in iron" is a low-iron diet, never iron itself
                level = "low" if diet.group(1).lower() in ("low", "poor") else "high"
                label = f"{level}-{diet.group(2).lower()} diet"
                diet_iri = self.vocab.index.get(tuple(fold(label)))
                out.append(Arg(diet_iri or self._mint(label, slots[f"mint_{slot}"], minter, result),
                               ctx.begin + pb, ctx.begin + pe))
                last_was_arg = True
                continue
            if self._ANAPHOR.fullmatch(text[pb:pe].strip()) and "condition" in slots[slot]:
                referent = self._condition_in_view(ctx)
                if referent:  # "They can shorten the illness" under "If you get flu": the flu
                    out.append(Arg(referent, ctx.begin + pb, ctx.begin + pe))
                    last_was_arg = True
                    continue
            known = self._mentions_in(ctx, pb, pe)
            found: list[Arg]
            mentions = [m for m in known if self._fits(m.concept, slots[slot])]
            inverted = mentions and self.cues.inverting.search(text, pb, mentions[0].begin - ctx.begin)
            if known and not mentions and self._only_mentions(ctx, known, pb, pe):
                found = []  # "Stress can slow down the gut": a known concept of the wrong kind is never minted anew
            elif mentions and not inverted and self._NEGATED_LEAD.search(text, pb, mentions[0].begin - ctx.begin):
                found = []  # "not doing enough exercise": never the bare 'exercise'; no phrase to mint either
            elif inverted:
                # "infrequent hair washing", "lack of sleep": the modifier turns the concept around,
                # so the argument is the whole phrase, never the bare concept
                found = self._mint_from(ctx, inverted.start(), mentions[0].end - ctx.begin, slots, slot, minter,
                                        result, strip_verbs=strip_verbs, action=True)
            elif mentions and self._compound_head(ctx, mentions[0], pe):
                found = self._mint_from(ctx, mentions[0].begin - ctx.begin, pe, slots, slot, minter, result,
                                        strip_verbs=strip_verbs)
            elif mentions and self._classified(ctx, mentions[0], pb) is not None:
                # "vascular dementia", "dark chocolate": a kind of the concept, minted as its own
                found = self._mint_from(ctx, self._classified(ctx, mentions[0], pb) or 0, mentions[0].end - ctx.begin,
                                        slots, slot, minter, result, strip_verbs=strip_verbs,
                                        kind=self._kind_of(mentions[0].concept, slots[slot])) \
                    or [self._arg(mentions[0], ctx)]
            elif mentions:
                found = [self._arg(mentions[0], ctx)]
            else:
                found = self._mint_from(ctx, pb, pe, slots, slot, minter, result, strip_verbs=strip_verbs,
                                        kind=named_kind)
            out.extend(found)
            last_was_arg = bool(found)
        unique: dict[str, Arg] = {}
        for a in out:
            unique.setdefault(a.iri, a)
        return list(unique.values())

    def _stacked_adjectives(self, ctx: SentenceContext, pieces: list[tuple[int, int, str]]) -> dict[int, str | None]:
        """Pieces that are a lone adjective before a comma and the noun phrase it shares ('cold, dry
        weather'): the adjective's piece maps to the concept 'cold weather' names, when the
        vocabulary has it, and the noun phrase's piece, said with it, to None."""
        if ctx.parse is None or len(pieces) < 2:
            return {}
        doc = ctx.parse()
        found: dict[int, str | None] = {}
        for n, ((pb, pe, _), (nb, ne, sep)) in enumerate(zip(pieces, pieces[1:], strict=False)):
            words = ctx.text[pb:pe].split()
            token = self._token_at(doc, pb + len(ctx.text[pb:pe]) - len(ctx.text[pb:pe].lstrip()))
            if sep != "," or len(words) != 1 or token is None or token.pos_ != "ADJ":
                continue
            rest = ctx.text[nb:ne].split()
            key = next((k for k in (tuple(fold(f"{words[0]} {' '.join(rest[-j:])}")) for j in (2, 1) if len(rest) >= j)
                        if k in self.vocab.index), None)
            if key is None:
                continue
            found[n] = self.vocab.index[key]
            found[n + 1] = None
        return found

    _ABBREVIATION = re.compile(r"(?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Za-z0-9-]{1,7}")

    _CAUSE_OF = re.compile(r"\s*(?:[\w'’-]+\s+){0,6}?(?:that|which)\s+(?:can\s+|may\s+|often\s+|commonly\s+)?"
                           r"(?:cause|causes|lead\s+to|leads\s+to|trigger|triggers)\s+", re.IGNORECASE)

    _DIET = re.compile(r"(?:an?\s+|the\s+|your\s+)?(?:[\w-]+\s+)?diet\s+(low|poor|high)\s+in\s+([a-z]+)",
                       re.IGNORECASE)  # not 'rich in fruit, vegetables and ...': a list, and no excess

    _ANAPHOR = re.compile(r"(?:the|this|that|your)\s+(?:illness|disease|condition)", re.IGNORECASE)

    def _heading_condition(self, ctx: SentenceContext) -> list[Arg]:
        """The first condition the nearest heading above the sentence names, if any."""
        return next(([self._arg(m, h)] for h in reversed(ctx.headings) for m in h.mentions
                     if "condition" in self.vocab.categories(m.concept)), [])

    def _condition_in_view(self, ctx: SentenceContext) -> str | None:
        """The condition 'the illness' stands for: the nearest heading's, else the page's."""
        heading = self._heading_condition(ctx)
        return heading[0].iri if heading else ctx.topic_condition

    def _inner_asides(self, ctx: SentenceContext, b: int, e: int) -> list[tuple[int, int]]:
        """Parenthesised asides in ``[b, e)`` between a modifier and the noun it modifies."""
        found = [a.span() for a in re.finditer(r"\s*\([^()]{1,40}\)\s*", ctx.text[b:e])]
        if not found or ctx.parse is None:
            return []
        doc = ctx.parse()
        out = []
        for ab, ae in found:
            before = next((t for t in reversed(doc) if t.idx + len(t.text) <= b + ab), None)
            after = next((t for t in doc if t.idx >= b + ae), None)
            if before is not None and after is not None and before.head == after and before.dep_ in ("compound", "nmod", "amod"):
                out.append((b + ab, b + ae))
        return out

    def _high(self, arg: Arg, result: Extraction) -> Arg | None:
        """The condition of a measurement being high ('LDL cholesterol' -> 'high cholesterol'),
        from the vocabulary, trying the label, its alternatives and its last words."""
        concept = self.vocab.concepts.get(arg.iri) or result.minted.get(arg.iri)
        if concept is None:
            return None
        if fold(concept.label)[:1] in (("high",), ("raised",)):
            return arg
        for label in (concept.label, *concept.alt_labels):
            words = fold(label)
            for start in range(len(words)):
                for lead in ("high", "raised"):
                    iri = self.vocab.index.get((lead, *words[start:]))
                    if iri:
                        return Arg(iri, arg.begin, arg.end)
        return None

    def _same_kind(self, ctx: SentenceContext, last: Arg, b: int, e: int, result: Extraction) -> bool:
        """Whether the examples in ``[b, e)`` are of the kind of the argument before them ('ACE
        inhibitors, such as ramipril': both drugs), so they are arguments too."""
        minted = result.minted.get(last.iri)
        kinds = categories(minted.types) if minted else self.vocab.categories(last.iri)
        inside = self._mentions_in(ctx, b, e)
        return bool(inside) and all(self.vocab.categories(m.concept) >= kinds for m in inside)  # surgery: also a cause

    def _classified(self, ctx: SentenceContext, m: Mention, b: int) -> int | None:
        """Where a classifying modifier of the mention starts ('vascular' in 'vascular dementia',
        'ankle' in 'ankle swelling'), on the parse: adjectives and nouns right before it that modify
        its head, none of them evaluative ('severe', 'common') or a determiner; else None."""
        if ctx.parse is None:
            return None
        doc = ctx.parse()
        begin, end = m.begin - ctx.begin, m.end - ctx.begin
        inside = [t for t in doc if begin <= t.idx < end]
        first = inside[0] if inside else None
        if first is None or first.i == 0:
            return None
        start = None
        # a condition modifying a treatment names what it is for ('the shingles vaccine'), even when
        # the parse calls the word an adjective
        known = [(k.begin - ctx.begin, k.end - ctx.begin) for k in ctx.mentions if k.end - ctx.begin <= begin
                 and "condition" in self.vocab.categories(k.concept)] \
            if "treatment" in self.vocab.categories(m.concept) else []
        t = self._before_aside(doc, first.i)
        while t is not None and t.idx >= b and t.dep_ in ("amod", "compound", "nmod") \
                and (begin <= t.head.idx < end or start is not None and start <= t.head.idx < end) \
                and (t.pos_ == "NOUN" or t.pos_ == "ADJ" and (self._RELATIONAL.search(t.text)
                                                               or t.text.lower() in self.cues.classifying)
                     or any(kb <= t.idx < ke for kb, ke in known)) \
                and t.text.lower() not in self.cues.evaluative and t.text.lower() not in self.cues.determiners \
                and t.text.isalpha():
            # an aside between them is skipped ('chickenpox (varicella) vaccine')
            start = t.idx
            if t.i == 0:
                break
            t = self._before_aside(doc, t.i)
            if t is None:
                break
        if start is not None and t is not None and t.idx < start \
                and (t.text == "-" or not t.whitespace_ and t.text not in "\"'"):
            return None  # the modifier is the tail of a hyphenated word ('long-term'): no kind named
        if start is not None and t is not None and t.idx < start and t.dep_ in ("amod", "compound") \
                and self.cues.inverting.fullmatch(t.text + " "):
            start = t.idx  # 'poor quality sleep': the kind keeps what turns it around, never 'quality sleep'
        return start

    @staticmethod
    def _token_at(doc: Any, pos: int) -> Any | None:
        """The token of ``doc`` that holds character ``pos``, if any."""
        return next((t for t in doc if t.idx <= pos < t.idx + max(1, len(t.text))), None)

    @staticmethod
    def _before_aside(doc: Any, i: int) -> Any | None:
        """The token before ``doc[i]``, past one parenthesised aside of up to four tokens."""
        j = i - 1
        if j >= 1 and doc[j].text in "\"'" and doc[j - 1].text.isalpha():
            j -= 1  # 'a "detox" tea': the quoted word still modifies the noun
        if j >= 0 and doc[j].text == ")":
            k = j - 1
            while k >= 0 and j - k <= 5 and doc[k].text not in "()":
                k -= 1
            if k >= 1 and doc[k].text == "(":
                j = k - 1
        return doc[j] if j >= 0 else None

    # relational adjectives name a kind ('vascular', 'cervical', 'bacterial', 'allergic'), most others grade
    _RELATIONAL = re.compile(r"(?:al|ic|ar|ary|ine|ous)$", re.IGNORECASE)

    _NEGATED_LEAD = re.compile(r"\b(?:not|no|without|never|lack|lacking|insufficient|inadequate)\b", re.IGNORECASE)
    _PREP_TAIL = re.compile(r"(?<=\w)\s+(?:during|after|within|before|while|until|because)\s", re.IGNORECASE)

    def _arg(self, m: Mention, ctx: SentenceContext) -> Arg:
        return Arg(m.concept, m.begin, m.end)

    def _mint_from(self, ctx: SentenceContext, b: int, e: int, slots: dict[str, Any], slot: str,
                   minter: Minter, result: Extraction, strip_verbs: bool = False,
                   kind: str | tuple[str, ...] | None = None, action: bool = False) -> list[Arg]:
        """A concept for an argument no vocabulary entry matched, typed by its slot (or by ``kind``,
        the type of the concept it is a kind of)."""
        if not slots.get(f"mint_{slot}"):
            return []
        kind = kind or slots[f"mint_{slot}"]
        gerund_end = self._bare_gerund_end(ctx, b, e)
        if gerund_end is not None:
            e = gerund_end  # "Brushing twice a day prevents ...": the activity, not its time
        instrument = re.match(r"\s*(?:(?:using|taking|applying|wearing|putting\s+on|dusting)\s+|(?:smothering|coating|"
                              r"soaking|rubbing|washing|bathing|covering|dabbing|massaging)\s+(?:[\w'’-]+\s+){0,3}?"
                              r"(?:in|with)\s+)(?=\S)", ctx.text[b:e], re.IGNORECASE)
        if instrument and slot == "subject":
            b += instrument.end()  # "Using a head lice lotion does not prevent ...": the lotion
        phrase = self.cues.fillers.sub(" ", re.sub(r"\s*\([^()]{0,40}\)", " ", ctx.text[b:e]))
        state = self._BEING.fullmatch(ctx.text, b, e) if slot == "subject" else None
        if state:  # a risk named by a state: 'being female', 'being over 40', 'being very overweight'
            label = " ".join(state.group(1).lower().split())
            known = self.vocab.index.get(tuple(fold(label)))
            return [Arg(known or self._mint(label, kind, minter, result), ctx.begin + b, ctx.begin + e)]
        if slot == "subject" and not action:
            activity = self._gerund_phrase(ctx, b, e, phrase)
            if activity is not None:  # "Sharing a hairbrush", "Cutting your child's hair short"
                label, plain = activity
                known = self.vocab.index.get(tuple(fold(label))) or self.vocab.index.get(tuple(fold(plain)))
                if known is not None:
                    return [Arg(known, ctx.begin + b, ctx.begin + e)] if self._fits(known, slots[slot]) else []
                iri = self._mint(label, kind, minter, result)
                concept = result.minted[iri]
                if plain != label and plain not in concept.alt_labels:
                    result.minted[iri] = replace(concept, alt_labels=(*concept.alt_labels, plain))
                return [Arg(iri, ctx.begin + b, ctx.begin + e)]
        phrase = re.split(r"\s(?:on|in|at|for|after|within|during|over|under|around|from|into|with|without|by|"
                          r"than|because|before|while|until|despite|unlike|except|behind|below|above|beneath|"
                          r"between|along|across|inside|outside|near|towards?)\s", " " + phrase + " ", maxsplit=1)[0]
        words = re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", phrase)
        lowered = [w.lower() for w in words]
        if any(w in self.cues.non_entity_anywhere or w[0].isdigit() for w in lowered) or (
                lowered and (lowered[0] in self.cues.non_entity_first or lowered[-1] in self.cues.non_entities
                             and not self._described_body_part(ctx, b, e, lowered))):
            return []
        if strip_verbs:
            words = self._strip_aux(words)
        while len(words) > 1 and words[-1].lower() in ("too", "also", "either", "again", "though", "instead"):
            words = words[:-1]  # "bone loss too"; other adverbs ('cooling leftovers quickly') show an action
        while len(words) > 1 and re.fullmatch(r"[a-z]+ed", words[-1]):
            words = words[:-1]  # "serums applied (during ...)"
        while words and words[0].lower() in ("does", "do", "did", "can", "could", "will", "would", "is", "are"):
            words = words[1:]  # a question's inverted auxiliary: "Does food cause eczema?"
        while words and words[0].lower() in self.cues.determiners:
            words = words[1:]
        if len(words) == 1 and words[0].lower().endswith("ly"):
            return []
        if not words or len(words) > 4 or words[-1].lower() in self.cues.generic or any(
                w.lower() in self.cues.generic and i == 0 for i, w in enumerate(words)):
            return []
        if any(w.lower() in ("is", "are", "was", "were", "be", "been", "has", "have", "had", "will", "would", "should",
                             "not", "no", "you", "your", "it", "they", "we", "can", "may", "of", "in", "on", "with",
                             "please", "don't", "doesn't", "can't", "won't", "isn't", "aren't", "never",
                             "for", "by", "about", "into", "than", "when", "more", "very",
                             "include", "includes", "including") for w in words):
            return []
        if words[-1].lower() in self.cues.raw.get("condition_aspects", []) and "condition" in slots[slot]:
            whose = self._condition_in_view(ctx)  # "an outbreak": of the heading's condition, else the page's
            return [Arg(whose, ctx.begin + b, ctx.begin + e)] if whose else []
        finite = lambda t: t.tag_ in ("VBZ", "VBP", "VBD") or t.dep_ == "ROOT" and t.tag_ == "VB"  # noqa: E731
        if ctx.parse is not None and any(t.pos_ == "VERB" and finite(t) and b <= t.idx < e and t.text in words
                                         for t in ctx.parse()):
            return []  # a finite verb inside: a clause, not a concept ('tai chi reduce the risk of falls')
        head = self._phrase_head(ctx, b, e, words, substance=CATEGORY_OF_TYPE.get(kind if isinstance(kind, str) else "")
                                 == "ingredient", action=action)
        if head is None:
            return []  # the phrase does not end in a noun ('go', 'found', 'lining swells'): not a concept
        if head.tag_ in ("NNS", "NNPS") and head.lemma_.isalpha() and words[-1].lower().startswith(head.lemma_[:3].lower()):
            words = [*words[:-1], head.lemma_ if words[-1].islower() else words[-1]]
        known = self.vocab.index.get(tuple(fold(" ".join(words))))
        if known is not None:  # the phrase is a vocabulary name the linker let go (a mis-tagged 'eczema')
            return [Arg(known, ctx.begin + b, ctx.begin + e)] if self._fits(known, slots[slot]) else []
        return [Arg(self._mint(" ".join(words), kind, minter, result), ctx.begin + b, ctx.begin + e)]

    def _described_body_part(self, ctx: SentenceContext, b: int, e: int, lowered: list[str]) -> bool:
        """'sweaty feet', 'flat feet', 'tight calf muscles': a body part with an adjective describing it
        names a condition, though the bare part ('feet') is no concept of the page."""
        part = self.vocab.index.get((lowered[-1],))
        if len(lowered) < 2 or part is None or "anatomy" not in self.vocab.categories(part) or ctx.parse is None:
            return False
        return any(t.dep_ == "amod" and t.pos_ == "ADJ" and b <= t.idx < e and t.head.lower_ == lowered[-1]
                   for t in ctx.parse())

    _BEING = re.compile(r"\W*(being\s+(?:(?:over|under|aged)\s+\d{1,3}|(?:very\s+)?[a-z][\w-]+(?:\s+[a-z][\w-]+)?))\W*",
                        re.IGNORECASE)

    _POSSESSIVE = re.compile(r"\b(?:your|their|his|her|my|our|its)\s+(?:[\w-]+['’]s\s+)?", re.IGNORECASE)

    def _gerund_phrase(self, ctx: SentenceContext, b: int, e: int, phrase: str) -> tuple[str, str] | None:
        """An activity named by a gerund with what it acts on ('sharing a hairbrush', 'cutting your
        child's hair short', 'walking barefoot'): its label without possessives, and without articles.
        None unless the phrase opens with a gerund that heads it and has an object, particle or
        complement of its own, in at most five words, with no pronoun, negation or clause in it."""
        if ctx.parse is None:
            return None
        doc = ctx.parse()
        first = next((t for t in doc if t.idx >= b and not t.is_space and not t.is_punct), None)
        if first is None or first.idx >= e or first.tag_ != "VBG" or not first.lower_.endswith("ing") \
                or first.lower_ in ("including", "according", "following", "during", "regarding", "concerning"):
            return None
        if not any(c.dep_ in ("dobj", "prt", "advmod", "acomp", "oprd", "xcomp") and c.idx < e for c in first.children):
            return None
        text = phrase.split(":")[0]
        text = re.split(r"\s(?:on|in|at|for|after|within|during|over|under|around|from|into|with|without|by|than|"
                        r"because|before|while|until|if|when|so|as|which|that|who)\s|[,;]", " " + text + " ",
                        maxsplit=1)[0]
        label = re.sub(r"\s+", " ", self._POSSESSIVE.sub("", text)).strip(" \"'“”").lower()
        label = re.sub(r"(?:\s+(?:every|each|once|twice|a|at|too|so|very)\s+(?:day|night|week|time|often|much|hard|"
                       r"long|a\s+day|a\s+week))+$|\s+(?:daily|regularly|often)$", "", label)  # '... every day'
        words = self._strip_aux(label.split())
        adverbs = ("hard", "alone", "too", "often", "well", "again", "just", "only", "much", "enough")
        while len(words) > 1 and (words[-1].endswith("ly") or words[-1] in adverbs):
            words = words[:-1]  # 'drying your feet carefully', 'straining hard'
        if len(words) == 1:
            return words[0], words[0]
        if words[-1] in self.cues.generic:
            return None  # 'eating food': no activity of its own
        label = " ".join(words)
        if not 2 <= len(words) <= 5 or any(w in ("not", "no", "never", "it", "them", "this", "these", "you", "and", "or",
                                                 "is", "are", "can", "may", "will", "be") for w in words):
            return None
        if any(t.tag_ in ("VBZ", "VBP", "VBD", "MD", "JJR", "RBR") and b <= t.idx < e and t.text.lower() in words
               for t in doc):
            return None  # a clause, or a degree that is the point ('sleeping much longer than usual')
        plain = " ".join(w for w in words if w not in ("a", "an", "the"))
        return label, plain

    _PEOPLE_WHO = re.compile(r"\W*(?:people|those|children|kids|adults|women|men|patients|participants|volunteers)"
                             r"\s+who\s+(?:regularly\s+|often\s+|habitually\s+)?", re.IGNORECASE)

    def _people_who(self, ctx: SentenceContext, b: int, e: int, allowed: list[str]) -> list[Arg] | None:
        """'People who cracked their knuckles' as a subject: the activity the relative clause names
        ('cracking knuckles'), when the vocabulary knows it; None when the subject is not of this form."""
        lead = self._PEOPLE_WHO.match(ctx.text, b, e)
        if lead is None or ctx.parse is None:
            return None
        verb = self._token_at(ctx.parse(), lead.end())
        if verb is None or verb.pos_ != "VERB":
            return []
        obj = _object_through_quantity(verb, ("lot", "lots", "plenty", "more", "amount"))
        words = [t.lower_ for t in obj.subtree if t.dep_ not in ("poss", "det", "case") and t.i <= obj.i] if obj else []
        for label in (" ".join([_gerund(verb.lemma_), *words]), _gerund(verb.lemma_), verb.lemma_, " ".join(words)):
            known = self.vocab.index.get(tuple(fold(label)))
            if known is not None and self._fits(known, allowed):
                return [Arg(known, ctx.begin + lead.end(), ctx.begin + e)]
        return []

    def _relative_clause_start(self, ctx: SentenceContext, pos: int) -> int | None:
        """Where the relative clause holding the trigger at ``pos`` starts ('those [that cause
        colds]'), on the parse; None when the trigger is not in one."""
        if ctx.parse is None:
            return None
        token = self._token_at(ctx.parse(), pos)
        while token is not None and token.dep_ in ("aux", "auxpass", "neg") and token.head is not token:
            token = token.head
        if token is None or token.dep_ != "relcl":
            return None
        pronoun = next((c for c in token.children if c.dep_ in ("nsubj", "nsubjpass") and c.tag_ in ("WDT", "WP")),
                       None)
        return pronoun.idx if pronoun is not None else None

    def _bare_gerund_end(self, ctx: SentenceContext, b: int, e: int) -> int | None:
        """Where a phrase's opening gerund ends, when everything else in the phrase only says when
        or how ('Brushing twice a day', 'flossing well'), never what it acts on."""
        if ctx.parse is None:
            return None
        doc = ctx.parse()
        first = next((t for t in doc if t.idx >= b and not t.is_space), None)
        if first is None or first.tag_ != "VBG" or first.idx >= e or first.idx + len(first) >= e:
            return None
        rest = [t for t in doc if first.idx < t.idx < e and not t.is_punct]
        how = ("well", "regularly", "daily", "properly", "gently", "carefully", "thoroughly", "often", "twice", "once")
        modifiers = {d.i for c in first.children if c.dep_ == "npadvmod" or c.dep_ == "advmod" and c.lower_ in how
                     for d in c.subtree}  # (not 'sleeping much longer than usual': that degree is the point)
        return first.idx + len(first) if rest and all(t.i in modifiers for t in rest) else None

    def _kind_of(self, iri: str, allowed: list[str]) -> tuple[str, ...] | None:
        """The types of a vocabulary concept that the slot allows: what a kind of it is."""
        concept = self.vocab.concepts.get(iri)
        kinds = tuple(t for t in concept.types if CATEGORY_OF_TYPE.get(t) in allowed) if concept else ()
        return kinds or None

    def _mint(self, label: str, kind: str | tuple[str, ...], minter: Minter, result: Extraction) -> str:
        label = label if any(c.isupper() for c in label[1:]) else label.lower()
        iri = minter.concept(label)
        variants = tuple(" ".join(v) for v in number_variants(fold(label)))
        if iri not in result.minted or result.minted[iri].types == (self._UNTYPED,):
            result.minted[iri] = Concept(iri, label, (kind,) if isinstance(kind, str) else kind, variants, minted=True)
        return iri

    def _types(self, iri: str, result: Extraction) -> tuple[str, ...]:
        """A concept's types, minted on this page or in the vocabulary."""
        concept = result.minted.get(iri) or self.vocab.concepts.get(iri)
        return concept.types if concept else ()

    def _categories(self, iri: str, result: Extraction) -> frozenset[str]:
        return categories(self._types(iri, result))

    def _only_mentions(self, ctx: SentenceContext, known: list[Mention], b: int, e: int) -> bool:
        """Whether ``[b, e)`` holds nothing but these mentions, determiners and auxiliaries."""
        rest = ctx.text[b:e]
        for m in sorted(known, key=lambda m: -m.begin):
            rest = rest[:m.begin - ctx.begin - b] + " " + rest[m.end - ctx.begin - b:]
        words = [w for w in re.findall(r"[\w'’-]+", rest.lower()) if w not in self.cues.determiners]
        return not self._strip_aux(words)

    def _phrase_head(self, ctx: SentenceContext, b: int, e: int, words: list[str],
                     substance: bool = False, action: bool = False) -> Any | None:
        """The token of the phrase's last word when the parse tags it a noun, else None."""
        if ctx.parse is None:
            return None
        doc = ctx.parse()
        last = words[-1]
        at = ctx.text.rfind(last, b, e)
        end = at + len(last) - 1  # the word's last character: 'exercise-induced' is headed by 'induced'
        token = self._token_at(doc, end) if at >= 0 else None
        nominal = substance and token is not None and token.pos_ == "ADJ" and len(words) == 1 and token.dep_ in (
            "dobj", "nsubj", "nsubjpass", "pobj", "attr") and token.head.pos_ in ("VERB", "AUX", "ADP")
        # an 'adjective' heading a subject after a determiner and a noun is a mis-tagged noun ('A
        # gallbladder flush does not ...'); an adjective alone is never one
        nominal = nominal or token is not None and token.pos_ == "ADJ" and len(words) > 1 and token.dep_ in (
            "nsubj", "nsubjpass") and any(c.dep_ == "compound" and c.pos_ in ("NOUN", "PROPN") for c in token.children)
        # a lone gerund as an argument names an activity ('Teething doesn't cause ...', 'Breastfeeding may ...')
        gerund = token is not None and token.tag_ == "VBG" and len(words) == 1 and token.dep_ in (
            "nsubj", "nsubjpass", "dobj", "pobj", "conj") and not any(c.dep_ in ("dobj", "prep") for c in token.children)
        if token is None or token.pos_ not in ("NOUN", "PROPN") and not nominal and not gerund:
            return None  # (an 'adjective' alone in a substance's place is a mis-tagged noun: 'contain sorbitol')
        first = next((t for t in doc if t.idx >= b and not t.is_space), None)
        if not action and len(words) > 1 and first is not None and first.tag_ in ("VBG", "VB", "VBP") \
                and first.pos_ == "VERB" and token.head == first:
            return None  # 'cooling leftovers', 'unblock pores': an action with its object, not a concept
        return token

    def _strip_aux(self, words: list[str]) -> list[str]:
        """Drop trailing auxiliaries, hedges and negations from a subject phrase."""
        trailing = {"can", "could", "may", "might", "will", "would", "do", "does", "did", "not", "never", "also",
                    "is", "are", "be", "often", "sometimes", "usually", "typically", "generally", "all", "both",
                    "rarely", "commonly", "frequently", "don't", "doesn't", "won't", "cannot"}
        while words and words[-1].lower() in trailing:
            words = words[:-1]
        return words

    def _adjacent(self, ctx: SentenceContext, taken: list[tuple[int, int]]) -> list[Claim]:
        """'Botox for hyperhidrosis': two mentions joined by a short connective."""
        out = []
        for rule in self.cues.adjacent:
            slots = self.cues.raw["slots"][rule["predicate"]]
            for a, b in zip(ctx.mentions, ctx.mentions[1:], strict=False):
                between = ctx.text[a.end - ctx.begin:b.begin - ctx.begin]
                if not rule["regex"].match(between):
                    continue
                if any(a.end - ctx.begin < e and s < b.begin - ctx.begin for s, e in taken):
                    continue
                if not (self.vocab.categories(a.concept) & set(slots["subject"])
                        and self.vocab.categories(b.concept) & set(slots["object"])):
                    continue
                clause = self._clause_start(ctx.text, a.begin - ctx.begin)
                certainty, cues = self._certainty(ctx.text, clause, b.end - ctx.begin)
                out.append(Claim(a.concept, self.cues.raw["predicates"][rule["predicate"]], b.concept,
                                 ctx.index, False, certainty, tuple(cues)))
        return out

    # ---- polarity and certainty -------------------------------------------------------------

    def _polarity(self, text: str, clause_start: int, m: re.Match[str], pattern: dict[str, Any]) -> tuple[bool, list[str]]:
        """Negated when a negation cue stands in the clause before the trigger's end, or a
        pre-negation ('no evidence that') governs the clause."""
        end = m.start() if pattern["predicate"] == "distinctFrom" else m.end()
        window = text[clause_start:end]
        window = self.cues.pseudo_negation.sub(lambda x: "_" * len(x.group()), window)
        cues = [c.group().lower() for c in self.cues.negation.finditer(window)]
        if "neither" in cues and "nor" in cues:
            cues.remove("nor")  # 'Neither sugar nor additives cause ADHD': one negation, said twice
        pre = [c.group().lower() for c in self.cues.prenegation.finditer(text[:clause_start])
               if not self.cues.boundary.search(text, c.end(), clause_start)]
        negations = len(cues) + len(pre)
        return negations % 2 == 1, cues + pre

    def _certainty(self, text: str, clause_start: int, end: int) -> tuple[str, list[str]]:
        # 'more likely to get X' compares risks, it does not hedge the claim
        window = re.sub(r"\b(?:more|less|most|least)\s+likely\b", lambda w: " " * len(w.group()),
                        text[clause_start:end], flags=re.IGNORECASE)
        for level, regex in self.cues.hedges:
            found = [h.group().lower() for h in regex.finditer(window)]
            if found:
                return level, found
        return ASSERTED, []

    # ---- validation ------------------------------------------------------------------------

    @cached_property
    def shapes(self) -> Graph | None:
        path = ONTOLOGY_DIR / "shapes.ttl"
        if not path.exists():
            return None
        g = Graph()
        g.parse(path, format="turtle")
        return g

    def validate(self, graph: Graph) -> list[str]:
        """SHACL violations of one article graph, as messages ('' list when it conforms)."""
        return validate_graph(graph, self.shapes)


def validate_graph(graph: Graph, shapes: Graph | None) -> list[str]:
    if shapes is None:
        return []
    from pyshacl import validate

    conforms, report, _ = validate(graph, shacl_graph=shapes, inference="none", advanced=True)
    if conforms:
        return []
    from rdflib.namespace import SH

    return sorted(f"{report.value(r, SH.focusNode)}: {report.value(r, SH.resultMessage)}"
                  for r in report.subjects(SH.resultSeverity, SH.Violation))
