"""What the rules of one item look at: its tokens, matches and per-sentence facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from bot.pipeline.tag.gazetteer import Match
from bot.pipeline.tag.text import Tokens


@dataclass
class ItemContext:
    """Tokens and resolved matches of one item, indexed by sentence (sentence 0 is the title)."""

    tokens: Tokens
    entities: list[Match]
    terms: list[Match]
    terms_by_sentence: dict[int, set[str]] = field(default_factory=dict)
    _first: dict[tuple[str, int], Match] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_sentence: dict[int, set[str]] = defaultdict(set)
        first: dict[tuple[str, int], Match] = {}
        for m in self.terms:
            by_sentence[m.sentence].add(m.entry.kind)
            # Terms come in text order: the first one stored per (category, sentence) is the first.
            first.setdefault((m.entry.kind, m.sentence), m)
            first.setdefault((m.entry.kind, -1), m)
        self.terms_by_sentence = dict(by_sentence)
        self._first = first

    @cached_property
    def term_at(self) -> dict[int, set[str]]:
        """Word index → categories of the terms covering it (built on first use only)."""
        at: dict[int, set[str]] = defaultdict(set)
        for m in self.terms:
            for i in range(m.first, m.last + 1):
                at[i].add(m.entry.kind)
        return dict(at)

    def term_at_any(self, kind: str, positions: Iterable[int], sentence: int | None = None) -> bool:
        """Whether a term of category ``kind`` covers a word at one of ``positions`` (of those in
        ``sentence`` only, when given)."""
        at = self.term_at
        if sentence is None:
            return any(kind in at.get(i, ()) for i in positions)
        of = self.tokens.sentence
        return any(kind in at.get(i, ()) and of[i] == sentence for i in positions)

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
        return self._first.get((kind, -1 if sentence is None else sentence))
