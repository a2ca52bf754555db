"""Multi-pattern matching of gazetteer aliases over token streams with Aho-Corasick.

Every alias is turned into a key sequence exactly as text is (lemmas, or surfaces for acronyms)
and added to one automaton per stream. An item is matched by joining its token keys with spaces
and running the automaton once, so the cost depends on the text length, not on the number of
aliases. Overlapping matches of one layer are resolved longest-first ("OSCE Parliamentary
Assembly" beats "OSCE"; "Benin City" beats "Benin").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from bot.pipeline.tag.text import Token, alias_tokens, is_acronym


@dataclass(frozen=True, slots=True)
class Entry:
    """What an alias stands for: a layer ("entity" or "term"), a kind and a value.

    ``kind`` is e.g. "country", "body", "place" for entities and a vocabulary category for terms;
    ``value`` is an ISO code, a body id or a term name; ``extra`` holds kind-specific data
    (for a country mention the mention type, for a national body its country).
    """

    layer: str
    kind: str
    value: str
    extra: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    """One alias found in an item: token range [first, last], the entry and the text span."""

    first: int
    last: int
    entry: Entry
    span: str
    sentence: int

    @property
    def size(self) -> int:
        """Number of tokens covered."""
        return self.last - self.first + 1


class Gazetteer:
    """Automata over lemma keys (one per text language) and over surfaces (acronyms)."""

    def __init__(
        self,
        aliases: Iterable[tuple[str, Entry]],
        langs: Sequence[str],
        lemma: Callable[[str, str], str],
    ) -> None:
        pairs = list(aliases)
        self.langs = tuple(langs)
        self._keyed: dict[str, Any] = {}
        self.size = len(pairs)
        for lang in self.langs:
            auto = ahocorasick.Automaton()
            for alias, entry in pairs:
                if is_acronym(alias):
                    continue
                words = alias_tokens(alias)
                if words:
                    _add(auto, " " + " ".join(lemma(w, lang) for w in words) + " ", entry)
            auto.make_automaton()
            self._keyed[lang] = auto
        surface = ahocorasick.Automaton()
        for alias, entry in pairs:
            if is_acronym(alias):
                _add(surface, " " + " ".join(alias_tokens(alias)) + " ", entry)
        surface.make_automaton()
        self._surface = surface

    def find(self, tokens: Sequence[Token], lang: str, text: str) -> list[Match]:
        """All matches in ``tokens`` (lemma keys read as ``lang``), spans cut from ``text``."""
        auto = self._keyed.get(lang) or self._keyed[self.langs[0]]
        out: list[Match] = []
        if tokens:
            _scan(auto, [t.key for t in tokens], tokens, text, out)
            _scan(self._surface, [t.surface for t in tokens], tokens, text, out)
        return out


def _add(auto: Any, key: str, entry: Entry) -> None:
    existing = auto.get(key, None)
    if existing is None:
        auto.add_word(key, (key.count(" ") - 1, (entry,)))
    elif entry not in existing[1]:
        auto.add_word(key, (existing[0], (*existing[1], entry)))


def _scan(auto: Any, keys: list[str], tokens: Sequence[Token], text: str, out: list[Match]) -> None:
    if len(auto) == 0:
        return
    starts: list[int] = []
    pos = 0
    for k in keys:
        starts.append(pos)
        pos += len(k) + 1
    joined = " " + " ".join(keys) + " "
    for end, (n_words, entries) in auto.iter(joined):
        # `end` is the index of the closing space; token i starts at starts[i] + 1 in `joined`.
        last = bisect_right(starts, end - 1) - 1
        first = last - n_words + 1
        if first < 0:
            continue
        span = text[tokens[first].start : tokens[last].end]
        for entry in entries:
            out.append(Match(first, last, entry, span, tokens[first].sentence))


def resolve_overlaps(matches: Iterable[Match]) -> list[Match]:
    """Keep the longest matches; a match inside a longer one of the same layer is dropped.

    Several entries on exactly the same tokens (an alias shared by two meanings) are all kept.
    """
    ordered = sorted(matches, key=lambda m: (-m.size, m.first))
    taken: dict[int, tuple[int, int]] = {}
    kept: list[Match] = []
    for m in ordered:
        clash = False
        for i in range(m.first, m.last + 1):
            span = taken.get(i)
            if span is not None and span != (m.first, m.last):
                clash = True
                break
        if not clash:
            for i in range(m.first, m.last + 1):
                taken[i] = (m.first, m.last)
            kept.append(m)
    kept.sort(key=lambda m: m.first)
    return kept
