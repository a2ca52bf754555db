"""What the rules of one item look at: its tokens, matches and per-sentence facts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.pipeline.tag.gazetteer import Match
from bot.pipeline.tag.text import Tokens


@dataclass
class ItemContext:
    """Tokens and resolved matches of one item, indexed by sentence (sentence 0 is the title)."""

    tokens: Tokens
    entities: list[Match]
    terms: list[Match]
    terms_by_sentence: dict[int, set[str]] = field(default_factory=dict)
    term_at: dict[int, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_sentence: dict[int, set[str]] = defaultdict(set)
        at: dict[int, set[str]] = defaultdict(set)
        for m in self.terms:
            by_sentence[m.sentence].add(m.entry.kind)
            for i in range(m.first, m.last + 1):
                at[i].add(m.entry.kind)
        self.terms_by_sentence = dict(by_sentence)
        self.term_at = dict(at)

    def sentence_has(self, sentence: int, kind: str) -> bool:
        """Whether a term of category ``kind`` occurs in ``sentence``."""
        return kind in self.terms_by_sentence.get(sentence, ())

    def item_has(self, kind: str) -> bool:
        """Whether a term of category ``kind`` occurs anywhere in the item."""
        return any(kind in kinds for kinds in self.terms_by_sentence.values())

    def text(self, m: Match) -> str:
        """The words a match covers, as written."""
        return m.span or self.tokens.span(m.first, m.last)

    def first_term(self, kind: str, sentence: int | None = None) -> Match | None:
        """The first term of category ``kind`` (in ``sentence`` when given)."""
        for m in self.terms:
            if m.entry.kind == kind and (sentence is None or m.sentence == sentence):
                return m
        return None
