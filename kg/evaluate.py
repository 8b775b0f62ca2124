"""``healthkg eval DIR``: extraction measured against ``NAME.expected.json`` files.

An expected claim is found when a claim with the same predicate, a subject and an
object whose labels match (case, plural and hyphen folded), and a sentence containing
the evidence exists (evidence written as a list item, "- stress", is the item's text; a
question's claim is evidenced by the question or the answer that decided it);
it counts as correct only with the polarity shown. Precision is
over extracted claims of the annotated predicates: a claim is correct when some
expected claim has its subject, predicate, object and polarity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import URIRef

from kg.article import ARTICLE_SUFFIXES, Article, load_article, strip_bullet
from kg.extract import Extractor
from kg.model import Claim, Concept, Extraction
from kg.namespaces import Minter
from kg.nlp import Parser
from kg.rdf import article_graph
from kg.vocabulary import fold, number_variants

SCORED = ("causes", "treats", "contains", "distinctFrom", "prevents")


@dataclass
class ArticleScore:
    name: str
    expected: int = 0
    found: int = 0
    extracted: int = 0
    correct: int = 0
    denials: int = 0  # expected claims that are denied
    denials_extracted: int = 0  # ... for which the claim was extracted with either polarity
    denials_right: int = 0  # ... and stored as denied
    hedges_scored: int = 0  # found claims whose gold says whether they are hedged
    hedges_right: int = 0
    minted: int = 0
    negation_errors: list[str] = field(default_factory=list)
    denied_as_affirmed: list[str] = field(default_factory=list)
    hedge_errors: list[str] = field(default_factory=list)
    junk_concepts: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    author_errors: list[str] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)


def label_keys(label: str) -> set[tuple[str, ...]]:
    key = fold(label)
    return {key, *number_variants(key)}


class Resolver:
    """Which concept IRIs a label names, among the vocabulary and an article's minted concepts."""

    def __init__(self, concepts: list[Concept]) -> None:
        self.by_key: dict[tuple[str, ...], set[str]] = {}
        for c in concepts:
            for label in (c.label, *c.alt_labels):
                for key in label_keys(label):
                    self.by_key.setdefault(key, set()).add(c.iri)

    def iris(self, label: str | list[str]) -> set[str]:
        """A gold label, or a list of acceptable alternative labels for one concept."""
        labels = [label] if isinstance(label, str) else label
        return set().union(*(self.by_key.get(k, set()) for one in labels for k in label_keys(one)))


def score_article(article: Article, expected: dict[str, Any], extractor: Extractor, minter: Minter) -> ArticleScore:
    result = extractor.extract(article, minter)
    resolver = Resolver([*extractor.vocab.concepts.values(), *result.minted.values()])
    preds = extractor.cues.raw["predicates"]
    score = ArticleScore(article.source_file)
    _score_claims(score, article, expected.get("claims", []), result, resolver, preds, extractor)
    _score_forbidden(score, article, expected, result, resolver, preds, minter)
    _score_author(score, article, expected.get("article", {}))
    _score_minted(score, result)
    for a, b in expected.get("distinct_concepts", []):
        if resolver.iris(a) & resolver.iris(b) or not resolver.iris(a) or not resolver.iris(b):
            score.other_errors.append(f"{a!r} and {b!r} are not two distinct known concepts")
    return score


def _first(label: str | list[str]) -> str:
    return label if isinstance(label, str) else label[0]


def _describe(c: dict[str, Any]) -> str:
    return f"{_first(c['subject'])} {'NOT ' if c.get('negated') else ''}{c['predicate']} {_first(c['object'])}"


def _evidence_text(article: Article, c: Claim) -> str:
    """The claim's sentence; for a question's claim, the answer that decided it too ('Does X cause
    Y?' / 'No.': annotators quote either)."""
    text = article.sentences[c.sentence].span.text
    if any(cue.startswith("answer:") for cue in c.cues):
        answer = next((s for s in article.sentences[c.sentence + 1:] if s.section != "heading"), None)
        if answer is not None:
            text += "\n" + answer.span.text
    return text


def _score_claims(score: ArticleScore, article: Article, expected: list[dict[str, Any]], result: Extraction,
                  resolver: Resolver, preds: dict[str, str], extractor: Extractor) -> None:
    def matches(c: Claim, e: dict[str, Any]) -> bool:
        return (c.predicate == preds.get(e["predicate"]) and c.subject in resolver.iris(e["subject"])
                and c.object in resolver.iris(e["object"]))

    score.expected = len(expected)
    for e in expected:
        candidates = [c for c in result.claims if matches(c, e)
                      and strip_bullet(e.get("evidence", "")) in _evidence_text(article, c)]
        right = [c for c in candidates if c.negated == bool(e.get("negated"))]
        if e.get("negated"):
            score.denials += 1
            score.denials_extracted += bool(candidates)
            score.denials_right += bool(right)
            if any(not c.negated for c in candidates):
                score.denied_as_affirmed.append(_describe(e))
        if right:
            score.found += 1
            if "hedged" in e:
                score.hedges_scored += 1
                if any(c.hedged == bool(e["hedged"]) for c in right):
                    score.hedges_right += 1
                else:
                    score.hedge_errors.append(f"{_describe(e)} ({'hedged' if e['hedged'] else 'asserted'} expected)")
        elif candidates:
            score.negation_errors.append(_describe(e))
        else:
            score.missing.append(_describe(e))
    scored = {preds[p] for p in SCORED}
    label = {iri: c.label for iri, c in {**extractor.vocab.concepts, **result.minted}.items()}
    seen = set()
    for c in result.claims:
        key = (c.subject, c.predicate, c.object, c.negated)
        if c.predicate not in scored or key in seen:
            continue
        seen.add(key)
        score.extracted += 1
        if any(matches(c, e) and c.negated == bool(e.get("negated")) for e in expected):
            score.correct += 1
        else:
            name = c.predicate.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            score.wrong.append(f"{label.get(c.subject, c.subject)} {'NOT ' if c.negated else ''}{name} "
                               f"{label.get(c.object, c.object)}")


def _score_minted(score: ArticleScore, result: Extraction) -> None:
    """A minted concept whose label's head word is not a noun ('believed', 'far', 'shrink') is junk."""
    labels = [c.label for c in result.minted.values()]
    score.minted = len(labels)
    if not labels:
        return
    for label, doc in zip(labels, _label_parser().parse(labels), strict=True):
        root = next((t for t in doc if t.dep_ == "ROOT"), None)
        if root is None or not (root.pos_ in ("NOUN", "PROPN") or root.tag_ == "VBG"):
            score.junk_concepts.append(f"{label!r} (head {root.text if root is not None else '-'}/"
                                       f"{root.pos_ if root is not None else '-'})")


@lru_cache(maxsize=1)
def _label_parser() -> Parser:
    return Parser()


def _score_forbidden(score: ArticleScore, article: Article, expected: dict[str, Any], result: Extraction,
                     resolver: Resolver, preds: dict[str, str], minter: Minter) -> None:
    graph = article_graph(article, result, minter)
    for f in expected.get("forbidden_direct_triples", []):
        p = URIRef(preds[f["predicate"]])
        for s in resolver.iris(f["subject"]):
            for o in resolver.iris(f["object"]):
                if (URIRef(s), p, URIRef(o)) in graph:
                    score.negation_errors.append(f"direct triple {_describe(f)}")


def _score_author(score: ArticleScore, article: Article, exp: dict[str, Any]) -> None:
    person = article.author
    if "title_contains" in exp and exp["title_contains"] not in article.title:
        score.author_errors.append(f"title lacks {exp['title_contains']!r}")
    if "author" not in exp:
        return
    if exp["author"] is None:
        if person is not None:
            score.author_errors.append(f"author {person.name!r} found where there is none")
        return
    if person is None:
        score.author_errors.append(f"author {exp['author']!r} missing")
        return
    checks = [("name", exp["author"], person.name), ("prefix", exp.get("author_prefix"), person.prefix),
              ("years", exp.get("author_years_of_experience"), person.years_of_experience)]
    for what, want, got in checks:
        if (what == "name" or f"author_{what}" in exp or what == "years" and
                "author_years_of_experience" in exp) and want != got:
            score.author_errors.append(f"{what}: expected {want!r}, got {got!r}")
    want_topics = exp.get("author_knows_about")
    if want_topics is not None and sorted(want_topics) != sorted(person.specialties):
        score.author_errors.append(f"knows_about: expected {want_topics}, got {person.specialties}")


def expected_pairs(directory: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for exp in sorted(directory.glob("*.expected.json")):
        stem = exp.name[: -len(".expected.json")]
        for suffix in ARTICLE_SUFFIXES:
            if (directory / f"{stem}{suffix}").exists():
                pairs.append((directory / f"{stem}{suffix}", exp))
                break
    return pairs


def evaluate_dir(directory: Path, base_iri: str = "https://healthkg.example.org/",
                 extractor: Extractor | None = None) -> dict[str, Any]:
    extractor = extractor or Extractor.default()
    minter = Minter(base_iri)
    scores = [score_article(load_article(a), json.loads(e.read_text()), extractor, minter)
              for a, e in expected_pairs(directory)]
    return summarise(scores)


def _ratio(n: int, d: int) -> float:
    return round(n / d, 4) if d else 1.0


def summarise(scores: list[ArticleScore]) -> dict[str, Any]:
    articles = [{**s.__dict__, "precision": _ratio(s.correct, s.extracted), "recall": _ratio(s.found, s.expected)}
                for s in scores]
    total = {k: sum(getattr(s, k) for s in scores) for k in ("expected", "found", "extracted", "correct")}
    return {"articles": articles, "micro": {
        **total, "precision": _ratio(total["correct"], total["extracted"]),
        "recall": _ratio(total["found"], total["expected"]),
        "negation_errors": sum(len(s.negation_errors) for s in scores),
        "denials": sum(s.denials for s in scores),
        "denial_recall": _ratio(sum(s.denials_right for s in scores), sum(s.denials for s in scores)),
        "denial_polarity": _ratio(sum(s.denials_right for s in scores), sum(s.denials_extracted for s in scores)),
        "denied_as_affirmed": sum(len(s.denied_as_affirmed) for s in scores),
        "hedge_accuracy": _ratio(sum(s.hedges_right for s in scores), sum(s.hedges_scored for s in scores)),
        "minted": sum(s.minted for s in scores),
        "junk_concept_rate": round(sum(len(s.junk_concepts) for s in scores) / max(1, sum(s.minted for s in scores)), 4),
        "hedge_errors": sum(len(s.hedge_errors) for s in scores),
        "author_errors": sum(len(s.author_errors) for s in scores),
        "other_errors": sum(len(s.other_errors) for s in scores)}}


def format_report(report: dict[str, Any], verbose: bool = True) -> str:
    lines = [f"{'article':44} {'prec':>6} {'recall':>6} {'found':>7} {'correct':>9} neg author"]
    for a in report["articles"]:
        lines.append(f"{a['name'][:44]:44} {a['precision']:6.3f} {a['recall']:6.3f} {a['found']:>3}/{a['expected']:<3} "
                     f"{a['correct']:>4}/{a['extracted']:<4} {len(a['negation_errors']):>3} {len(a['author_errors']):>6}")
        if verbose:
            for key in ("missing", "negation_errors", "denied_as_affirmed", "hedge_errors", "wrong", "junk_concepts",
                        "author_errors", "other_errors"):
                for item in a[key]:
                    lines.append(f"    {key}: {item}")
    m = report["micro"]
    lines.append(f"{'MICRO':44} {m['precision']:6.3f} {m['recall']:6.3f} {m['found']:>3}/{m['expected']:<3} "
                 f"{m['correct']:>4}/{m['extracted']:<4} {m['negation_errors']:>3} {m['author_errors']:>6}")
    lines.append(f"denials {m['denials']}: polarity {m['denial_polarity']:.3f} (of those extracted), recall "
                 f"{m['denial_recall']:.3f}, stored as affirmed {m['denied_as_affirmed']}; hedge accuracy "
                 f"{m['hedge_accuracy']:.3f}; junk concepts {m['junk_concept_rate']:.3f} of {m['minted']} minted")
    return "\n".join(lines)
