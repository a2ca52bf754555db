"""Multi-pattern matching of gazetteer aliases over token streams with Aho-Corasick.

Every alias is turned into a key sequence exactly as text is (lemmas; words in capitals keyed
apart, see text.py), plus a variant in capitals, and added to one automaton per text language.
An item is matched by joining its token keys with spaces and running the automaton once, so the
cost depends on the text length, not on the number of aliases. Overlapping entity matches are
resolved leftmost-longest ("OSCE Parliamentary Assembly" beats "OSCE"; "Benin City" beats
"Benin").
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, NamedTuple

import ahocorasick

from bot.pipeline.tag.text import NUMBER_KEY, Tokens, alias_tokens, is_acronym


@dataclass(frozen=True, slots=True)
class Entry:
    """What an alias stands for: a layer ("entity" or "term"), a kind and a value.

    ``kind`` is e.g. "country", "body", "place" for entities and a vocabulary category for terms;
    ``value`` is an ISO code, a body id or a term name; ``extra`` holds kind-specific data
    (for a country mention the mention type, for a national body its country). A ``quoted`` entry
    counts only where the text writes its alias in quotation marks and names an election (``«Голос»``,
    the observer group, is also an ordinary word and a talent show).
    """

    layer: str
    kind: str
    value: str
    extra: str = ""
    quoted: bool = False


class Match(NamedTuple):
    """One alias found in an item: token range [first, last], the entry and the text span."""

    first: int
    last: int
    entry: Entry
    span: str
    sentence: int


# The vocabularies an automaton of a text language holds: Latin words of a Russian item are read as English.
_TERM_LANGS = {"ru": ("ru", "en")}


class Gazetteer:
    """One automaton over token keys per text language, built on first use of the language."""

    def __init__(
        self,
        aliases: Iterable[tuple[str, Entry]],
        langs: Sequence[str],
        lemma: Callable[[str, str], str],
        eager: Sequence[str] = ("en",),
        terms: Mapping[str, Sequence[tuple[str, Entry]]] | None = None,
    ) -> None:
        self._pairs = list(aliases)
        # Vocabulary terms go only into their own language's automaton (and English terms into the
        # Russian one, whose Latin words are read as English): a Portuguese "cédula" (ballot) must not
        # match a Spanish "cédula de identidad".
        self._terms = {lang: list(pairs) for lang, pairs in (terms or {}).items()}
        self._lemma = lemma
        self.langs = tuple(langs)
        self._keyed: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.size = len(self._pairs) + sum(map(len, self._terms.values()))
        # Each language's automaton needs that language's lemma dictionary, which takes simplemma
        # a second or more to load: the others are built on first use.
        for lang in eager:
            self._automaton(lang)

    def _automaton(self, lang: str) -> Any:
        found = self._keyed.get(lang)
        if found is not None:
            return found
        if lang not in self.langs:
            return self._automaton(self.langs[0])
        with self._lock:
            found = self._keyed.get(lang)
            if found is None:
                found = ahocorasick.Automaton()
                lemma = self._lemma
                own_terms = [pair for vocab in _TERM_LANGS.get(lang, (lang,)) for pair in self._terms.get(vocab, ())]
                for alias, entry in (*self._pairs, *own_terms):
                    words = alias_tokens(alias)
                    if not words:
                        continue
                    keys = [NUMBER_KEY if w.isdigit() else lemma(w, lang) for w in words]
                    _add(found, " " + " ".join(keys) + " ", entry)
                    # The same alias in capitals ("LA PAZ –" datelines); acronyms already are.
                    if not is_acronym(alias):
                        keys = [NUMBER_KEY if w.isdigit() else lemma(w.upper(), lang) for w in words]
                        _add(found, " " + " ".join(keys) + " ", entry)
                found.make_automaton()
                # Published only once complete: readers never see a half-built automaton.
                self._keyed[lang] = found
        return found

    def find(self, tokens: Tokens, lang: str) -> tuple[list[Match], list[Match]]:
        """Entity and term matches in ``tokens`` (keys read as ``lang``), in text order."""
        entities: list[Match] = []
        terms: list[Match] = []
        if len(tokens):
            _scan(self._automaton(lang), tokens.key, tokens, entities, terms)
        return entities, terms


# Building the tuple directly skips NamedTuple's Python-level __new__: this runs once per hit.
_new = tuple.__new__


def _add(auto: Any, key: str, entry: Entry) -> None:
    # The value holds the alias length in words and its entries split by layer, so the scan
    # does no per-entry test.
    n_words, entities, terms = auto.get(key, (key.count(" ") - 1, (), ()))
    if entry in entities or entry in terms:
        return
    if entry.layer == "entity":
        entities = (*entities, entry)
    else:
        terms = (*terms, entry)
    auto.add_word(key, (n_words, entities, terms))


def _scan(auto: Any, keys: list[str], tokens: Tokens, entities: list[Match], terms: list[Match]) -> None:
    if len(auto) == 0:
        return
    joined = " " + " ".join(keys) + " "
    # Offsets of the space after each word: a hit ends on one of them, which names its last word.
    word_ends = list(accumulate([len(key) + 1 for key in keys]))
    sentence = tokens.sentence
    surface = tokens.surface
    for end, (n_words, found_entities, found_terms) in auto.iter(joined):
        last = bisect_left(word_ends, end)
        first = last - n_words + 1
        if first < 0:
            continue
        where = sentence[first]
        if found_entities:
            span = " ".join(surface[first : last + 1])
            for entry in found_entities:
                entities.append(_new(Match, (first, last, entry, span, where)))
        # Spans of vocabulary terms are cut only when they become evidence (ItemContext.text).
        for entry in found_terms:
            terms.append(_new(Match, (first, last, entry, "", where)))


def resolve_overlaps(matches: Iterable[Match]) -> list[Match]:
    """Leftmost-longest matches: a match overlapping an earlier or longer one is dropped.

    Several entries on exactly the same words (an alias shared by two meanings) are all kept.
    """
    kept: list[Match] = []
    first, last = -1, -1
    for m in sorted(matches, key=_leftmost_longest):
        if m.first > last:
            kept.append(m)
            first, last = m.first, m.last
        elif m.first == first and m.last == last:
            kept.append(m)
    return kept


def _leftmost_longest(m: Match) -> tuple[int, int]:
    return m.first, m.first - m.last
