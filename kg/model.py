"""Plain data passed from extraction to graph building (no RDF here)."""

from __future__ import annotations

from dataclasses import dataclass, field

ASSERTED, PROBABLE, POSSIBLE = "Asserted", "Probable", "Possible"


@dataclass(frozen=True)
class Concept:
    """A vocabulary concept, or one minted from a mention no concept matched."""

    iri: str
    label: str
    types: tuple[str, ...]
    alt_labels: tuple[str, ...] = ()
    minted: bool = False


@dataclass(frozen=True)
class Mention:
    """A concept mentioned at ``[begin, end)`` of the snapshot, inside sentence ``sentence``."""

    begin: int
    end: int
    text: str
    concept: str
    sentence: int


@dataclass(frozen=True)
class Claim:
    """A (subject, predicate, object) stated, denied or hedged by one sentence."""

    subject: str
    predicate: str
    object: str
    sentence: int
    negated: bool = False
    certainty: str = ASSERTED
    cues: tuple[str, ...] = ()

    @property
    def hedged(self) -> bool:
        return self.certainty != ASSERTED


@dataclass
class Extraction:
    mentions: list[Mention] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    minted: dict[str, Concept] = field(default_factory=dict)
