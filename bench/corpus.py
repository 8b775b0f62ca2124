"""A deterministic, seeded corpus generator: realistic health articles from the vocabulary.

Articles are written in the seed's plain-text format (title line; body paragraphs; a
byline; a specialties line; a bio). Body sentences come from varied templates: causes,
treatments, negated and hedged claims, lists, ingredients, "different from" sentences and
plain advice. Every generated claim is recorded, so a labelled query set (query -> graded
relevant sentences) comes with the corpus, for nDCG of encoder variants.

Same seed, same size: byte-identical files.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.article import parse_article
from kg.vocabulary import Vocabulary

Claim = tuple[str, str, str, bool]  # subject IRI, predicate, object IRI, negated


@dataclass(frozen=True)
class Term:
    iri: str
    label: str


@dataclass
class GenSentence:
    text: str
    claims: list[Claim] = field(default_factory=list)


@dataclass
class GenArticle:
    name: str
    text: str
    sentences: int
    body: list[GenSentence]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sentences": self.sentences,
                "body": [{"text": s.text, "claims": [list(c) for c in s.claims]} for s in self.body]}

    @classmethod
    def from_json(cls, data: dict[str, Any], text: str = "") -> GenArticle:
        body = [GenSentence(s["text"], [tuple(c) for c in s["claims"]]) for s in data["body"]]  # type: ignore[misc]
        return cls(data["name"], text, data["sentences"], body)


@dataclass
class Corpus:
    directory: Path
    articles: list[GenArticle]

    @property
    def sentences(self) -> int:
        return sum(a.sentences for a in self.articles)


FIRST = ("Olivia Emma Sophia Priya Amara Hannah Grace Chloe Maya Leila Nadia Ines Sara Yuki Elena Aisha "
         "James Daniel Samuel Omar Lucas Marco Ravi Kenji Thomas David Adrian Felix Mateo Noah Ethan Arjun").split()
LAST = ("Thompson Raman Okafor Lindqvist Moreau Castillo Nakamura Brennan Haddad Kowalski Fischer Alvarez "
        "Patel Osei Novak Rossi Schneider Ibrahim Chen Murphy Delgado Sato Kaur Weber Hughes Larsen").split()
FEMALE = set(FIRST[:16])
YEARS = ("5", "8", "10", "12", "15", "18", "20", "over 10", "more than 15", "nearly 20")
EXTRA_SPECIALTIES = ("patient education", "hair restoration", "skin cancer screening", "laser surgery",
                     "pediatric dermatology", "clinical research", "scalp disorders", "aesthetic medicine")


class Generator:
    """Writes articles sentence by sentence from templates and vocabulary labels."""

    def __init__(self, seed: int = 42, vocab: Vocabulary | None = None) -> None:
        self.rng = random.Random(seed)
        vocab = vocab or Vocabulary.load()
        pools: dict[str, list[Term]] = {}
        for iri in sorted(vocab.concepts):
            concept = vocab.concepts[iri]
            for cat in sorted(vocab.categories(iri)):
                pools.setdefault(cat, []).append(Term(iri, concept.label))
        self.treatments, self.conditions = pools["treatment"], pools["condition"]
        self.causes, self.ingredients = pools["cause"], pools["ingredient"]
        self.professionals, self.specialties = pools["professional"], pools["specialty"]
        self.mechanisms = pools["mechanism"]
        self.templates: list[tuple[int, Callable[[Term, Term], GenSentence]]] = [
            (5, self._cause), (4, self._negated_cause), (5, self._treats), (2, self._negated_treats),
            (2, self._cause_list), (2, self._treatment_list), (1, self._contains), (1, self._distinct),
            (2, self._side_effects), (1, self._mechanism), (4, self._advice),
        ]

    # -- one article -----------------------------------------------------------------------

    def article(self, number: int, body_sentences: int) -> GenArticle:
        rng = self.rng
        topic, treatment = rng.choice(self.conditions), rng.choice(self.treatments)
        title = rng.choice(TITLES).format(X=_cap_words(topic.label), T=_cap_words(treatment.label))
        body: list[GenSentence] = []
        weights = [w for w, _ in self.templates]
        while len(body) < body_sentences:
            make = rng.choices([t for _, t in self.templates], weights)[0]
            body.append(make(topic, treatment))
        paragraphs, i = [], 0
        while i < len(body):
            n = rng.randint(2, 5)
            paragraphs.append(" ".join(s.text for s in body[i:i + n]))
            i += n
        text = "\n\n".join([title, *paragraphs, self._author(topic, treatment)]) + "\n"
        name = f"{number:06d}-{_slug(topic.label)}-{_slug(treatment.label)}.txt"
        parsed = parse_article(text.encode(), name)
        return GenArticle(name, text, len(parsed.sentences), body)

    def _author(self, topic: Term, treatment: Term) -> str:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        she = "She" if first in FEMALE else "He"
        byline = rng.choice((f"Dr. {first} {last}", f"{first} {last}, MD", f"By Dr. {first} {last}"))
        specs = rng.sample([s.label for s in self.specialties] + list(EXTRA_SPECIALTIES), 3)
        specialties = ", ".join([treatment.label, *specs])
        prof = rng.choice(self.professionals).label
        bio = (f"Dr. {last} is a board-certified {prof} with {rng.choice(YEARS)} years of experience. "
               f"{she} focuses on {topic.label} and {treatment.label}, and {rng.choice(BIO_TAILS)}")
        return f"{byline}\n{specialties}\n\n{bio}"

    # -- templates: each returns one sentence and the claims it states ---------------------

    def _pick(self, pool: list[Term], topic: Term) -> Term:
        return topic if topic in pool and self.rng.random() < 0.5 else self.rng.choice(pool)

    def _cause(self, topic: Term, _t: Term) -> GenSentence:
        cause, cond = self.rng.choice(self.causes), self._pick(self.conditions, topic)
        tpl = self.rng.choice(CAUSE)
        return GenSentence(_sentence(tpl.format(C=cause.label, X=cond.label)), [(cause.iri, "causes", cond.iri, False)])

    def _negated_cause(self, topic: Term, treatment: Term) -> GenSentence:
        t, cond = self._pick(self.treatments, treatment), self._pick(self.conditions, topic)
        tpl = self.rng.choice(NEGATED_CAUSE)
        return GenSentence(_sentence(tpl.format(T=t.label, X=cond.label)), [(t.iri, "causes", cond.iri, True)])

    def _treats(self, topic: Term, treatment: Term) -> GenSentence:
        t, cond = self._pick(self.treatments, treatment), self._pick(self.conditions, topic)
        tpl = self.rng.choice(TREATS)
        text = tpl.format(T=t.label, X=cond.label, P=self.rng.choice(self.professionals).label)
        return GenSentence(_sentence(text), [(t.iri, "treats", cond.iri, False)])

    def _negated_treats(self, topic: Term, treatment: Term) -> GenSentence:
        t, cond = self._pick(self.treatments, treatment), self._pick(self.conditions, topic)
        tpl = self.rng.choice(NEGATED_TREATS)
        return GenSentence(_sentence(tpl.format(T=t.label, X=cond.label)), [(t.iri, "treats", cond.iri, True)])

    def _cause_list(self, topic: Term, _t: Term) -> GenSentence:
        cond, causes = self._pick(self.conditions, topic), self.rng.sample(self.causes, self.rng.randint(3, 5))
        tpl = self.rng.choice(CAUSE_LIST)
        text = tpl.format(X=cond.label, L=_listing([c.label for c in causes], self.rng))
        return GenSentence(_sentence(text), [(c.iri, "causes", cond.iri, False) for c in causes])

    def _treatment_list(self, topic: Term, _t: Term) -> GenSentence:
        cond, ts = self._pick(self.conditions, topic), self.rng.sample(self.treatments, self.rng.randint(2, 4))
        tpl = self.rng.choice(TREATMENT_LIST)
        text = tpl.format(X=cond.label, L=_listing([t.label for t in ts], self.rng))
        return GenSentence(_sentence(text), [(t.iri, "treats", cond.iri, False) for t in ts])

    def _contains(self, _x: Term, treatment: Term) -> GenSentence:
        ings = self.rng.sample(self.ingredients, 3)
        text = self.rng.choice(CONTAINS).format(T=treatment.label, L=_listing([i.label for i in ings], self.rng))
        return GenSentence(_sentence(text), [(treatment.iri, "contains", i.iri, False) for i in ings])

    def _distinct(self, _x: Term, treatment: Term) -> GenSentence:
        other = self.rng.choice([t for t in self.treatments if t != treatment])
        text = self.rng.choice(DISTINCT).format(T=treatment.label, U=other.label)
        return GenSentence(_sentence(text), [(treatment.iri, "distinctFrom", other.iri, False)])

    def _side_effects(self, _x: Term, treatment: Term) -> GenSentence:
        effects = self.rng.sample(self.conditions, 2)
        text = self.rng.choice(SIDE_EFFECTS).format(T=treatment.label, A=effects[0].label, B=effects[1].label)
        return GenSentence(_sentence(text), [(treatment.iri, "causes", e.iri, False) for e in effects])

    def _mechanism(self, _x: Term, treatment: Term) -> GenSentence:
        text = self.rng.choice(MECHANISM).format(T=treatment.label, M=self.rng.choice(self.mechanisms).label)
        return GenSentence(_sentence(text))

    def _advice(self, topic: Term, treatment: Term) -> GenSentence:
        text = self.rng.choice(ADVICE).format(T=treatment.label, X=topic.label,
                                               P=self.rng.choice(self.professionals).label)
        return GenSentence(_sentence(text))


TITLES = ("{X}: What Causes It and How to Treat It", "Does {T} Cause {X}? A Dermatologist Explains",
          "{T} for {X}: Myths and Facts", "Understanding {X} and Your Treatment Options",
          "What You Should Know About {T}", "{X} - Revealing the Truth About {T}")
CAUSE = ("{C} can cause {X}", "{C} is a common cause of {X}", "{X} is often caused by {C}",
         "in some cases, {C} may lead to {X}", "{C} causes {X} in many patients",
         "research suggests that {C} can sometimes trigger {X}", "{X} can result from {C}")
NEGATED_CAUSE = ("{T} does not cause {X}", "contrary to popular belief, {T} will not lead to {X}",
                 "there is no evidence that {T} causes {X}", "it is a myth that {T} causes {X}",
                 "{T} has not been shown to cause {X}", "in conclusion, {T} does not cause {X}")
TREATS = ("{T} is commonly used to treat {X}", "many {P}s recommend {T} for {X}",
          "{T} can help reduce {X}", "{T} treats {X} effectively in most patients",
          "{T} may improve {X} within a few months", "{T} is generally safe and works well for {X}")
NEGATED_TREATS = ("{T} does not cure {X}", "{T} cannot treat {X}, despite what many websites claim",
                  "{T} is not an effective treatment for {X}")
CAUSE_LIST = ("{X} can be caused by various factors, such as {L}", "common triggers of {X} include {L}",
              "{X} may be linked to {L}")
TREATMENT_LIST = ("treatment options for {X} include {L}", "{X} is usually treated with {L}",
                  "your doctor may suggest {L} for {X}")
CONTAINS = ("{T} typically contains ingredients like {L}", "most {T} products contain {L}")
DISTINCT = ("it is worth mentioning that {T} is a different procedure from {U} altogether",
            "{T} should not be confused with {U}, which is something else entirely")
SIDE_EFFECTS = ("side effects of {T} can include {A} and {B}", "{T} may occasionally cause {A} or {B}")
MECHANISM = ("{T} works mainly through {M}", "{T} is thought to act by {M}")
ADVICE = ("it is important to discuss any concerns about {T} with your {P} before undergoing treatment",
          "if you notice sudden changes, consult a {P} who can find the underlying cause of your {X}",
          "results vary from person to person, so be patient and follow the plan your {P} recommends",
          "every patient is different, and what works for one person may not work for another",
          "they can provide you with personalized advice based on your specific situation",
          "keep a diary of your symptoms so that your {P} can see how your {X} changes over time")
BIO_TAILS = ("is dedicated to giving patients clear, evidence-based advice.",
             "has published research on hair and skin disorders.",
             "regularly speaks at dermatology conferences about new treatments.",
             "believes that good care starts with listening to the patient.")


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def _cap_words(label: str) -> str:
    return " ".join(w[0].upper() + w[1:] for w in label.split())


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")[:24]


def _listing(items: list[str], rng: random.Random) -> str:
    joiner = rng.choice((", and ", " and "))
    return ", ".join(items[:-1]) + joiner + items[-1]


def generate(directory: Path, sentences: int, seed: int = 42, per_article: tuple[int, int] = (14, 30)) -> Corpus:
    """Write articles into ``directory`` until they hold at least ``sentences`` sentences."""
    directory.mkdir(parents=True, exist_ok=True)
    gen = Generator(seed)
    articles: list[GenArticle] = []
    total = 0
    while total < sentences:
        body = gen.rng.randint(*per_article)
        art = gen.article(len(articles), body)
        (directory / art.name).write_text(art.text, encoding="utf-8")
        articles.append(art)
        total += art.sentences
    claims_file(directory).write_text(json.dumps([a.to_json() for a in articles]))
    return Corpus(directory, articles)


def claims_file(directory: Path) -> Path:
    """Where a generated corpus keeps its claims, beside (not inside) the articles directory."""
    return directory.parent / f"{directory.name}.claims.json"


def load_corpus(directory: Path) -> Corpus:
    """A generated corpus again, from its claims file (article texts are not reloaded)."""
    return Corpus(directory, [GenArticle.from_json(a) for a in json.loads(claims_file(directory).read_text())])


QUERY_FORMS = {
    "causes": ("does {S} cause {O}", "can {S} lead to {O}"),
    "treats": ("does {S} help with {O}", "is {S} a good treatment for {O}"),
}


def labelled_queries(corpus: Corpus, vocab: Vocabulary, count: int = 60,
                     seed: int = 7) -> list[dict[str, object]]:
    """Queries about (subject, predicate, object) pairs the corpus states, with graded relevance.

    Gain 2: a sentence stating that exact claim (affirmed or denied: both answer the question);
    gain 1: a sentence with a claim of the same predicate about the same object.
    """
    by_claim: dict[tuple[str, str, str], set[str]] = {}
    by_object: dict[tuple[str, str], set[str]] = {}
    for art in corpus.articles:
        for s in art.body:
            for subj, pred, obj, _neg in s.claims:
                by_claim.setdefault((subj, pred, obj), set()).add(s.text)
                by_object.setdefault((pred, obj), set()).add(s.text)
    rng = random.Random(seed)
    keys = sorted(k for k in by_claim if k[1] in QUERY_FORMS)
    out = []
    for subj, pred, obj in rng.sample(keys, min(count, len(keys))):
        form = rng.choice(QUERY_FORMS[pred])
        q = form.format(S=vocab.concepts[subj].label, O=vocab.concepts[obj].label)
        gains = {t: 1 for t in by_object[(pred, obj)]}
        gains.update({t: 2 for t in by_claim[(subj, pred, obj)]})
        out.append({"query": q, "relevant": gains})
    return out
