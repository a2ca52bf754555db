"""The event vocabulary of dedupe, read once from ``bot/knowledge/events.yaml``.

The vocabulary is data (event kinds in en/ru/fr/es, month names, percent words, boilerplate), so
adding a language or an event kind never needs a code change.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from bot.pipeline.dedupe.literals import ShortcutPattern, required_substring_groups
from bot.words import fold, strip_accents

EVENTS_FILE = Path(__file__).resolve().parent.parent.parent / "knowledge" / "events.yaml"
# The event kind of a reaction to observers' findings (see ``Vocabulary.lead_kinds_in``).
REACTION = "reaction"


# Substring groups a pattern's text must all hold before the pattern is searched: two rule out most
# texts (a verb and a noun), more make the automaton's pass longer than the searches they save.
REQUIRED_GROUPS = 2
# Stands for any month name of the `months` table in an event pattern.
MONTH_PLACEHOLDER = "<month>"
# The shortest substring a group after the best one may hold.
FURTHER_GROUP_LETTERS = 4


class KindFinder:
    """Finds the event kinds a folded text names, searching only patterns that can match there.

    A pattern is searched only when the text holds a substring of each of (up to two) groups that
    all its matches contain (see ``literals``); one Aho-Corasick pass finds those for every pattern
    at once. Most texts then need a few regex searches instead of one per kind, each of which tried
    every alternative of the kind at every word boundary.
    """

    def __init__(self, patterns: Iterable[tuple[str, str]]) -> None:
        self.patterns = tuple((kind, re.compile(pattern)) for kind, pattern in patterns)
        keys_by_substring: dict[str, list[tuple[int, int]]] = {}
        always: list[int] = []
        groups_needed: list[int] = []
        for index, (_, pattern) in enumerate(self.patterns):
            groups = required_substring_groups(pattern.pattern, REQUIRED_GROUPS)
            # A further group of short substrings ("de", " a ") is found in every text: it costs
            # automaton hits and rules nothing out.
            groups = groups[:1] + tuple(group for group in groups[1:] if min(map(len, group)) >= FURTHER_GROUP_LETTERS)
            groups_needed.append(len(groups))
            for group_number, group in enumerate(groups):
                for substring in group:
                    keys_by_substring.setdefault(substring, []).append((index, group_number))
            if not groups:
                always.append(index)
        self._always = tuple(always)
        self._groups_needed = tuple(groups_needed)
        self._automaton: Any = None
        if keys_by_substring:
            self._automaton = ahocorasick.Automaton()
            for substring, keys in keys_by_substring.items():
                self._automaton.add_word(substring, tuple(keys))
            self._automaton.make_automaton()

    def find(self, text: str) -> frozenset[str]:
        """The kinds of the patterns that match somewhere in ``text``."""
        candidates = list(self._always)
        if self._automaton is not None:
            groups_found: dict[int, set[int]] = {}
            for _, keys in self._automaton.iter(text):
                for index, group_number in keys:
                    groups_found.setdefault(index, set()).add(group_number)
            needed = self._groups_needed
            candidates += [index for index, groups in groups_found.items() if len(groups) == needed[index]]
        found: set[str] = set()
        for index in candidates:
            kind, pattern = self.patterns[index]
            if kind not in found and pattern.search(text):
                found.add(kind)
        return frozenset(found)


@dataclass(frozen=True)
class Vocabulary:
    """Compiled patterns: event kinds, month names, percent words and boilerplate."""

    kinds: KindFinder
    months: dict[str, int]
    date_pattern: re.Pattern[str]
    percent_pattern: re.Pattern[str]
    # "3,4 mil" = 3400 and "más de mil" = 1000, as an English text writes "3,400" and "over 1,000".
    thousand_pattern: re.Pattern[str]
    lone_thousand_pattern: re.Pattern[str]
    boilerplate: tuple[ShortcutPattern, ...]
    unspecified: dict[str, frozenset[str]]
    reacted_to: frozenset[str]
    body_families: dict[str, str]
    context_bodies: frozenset[str]
    neutral_bodies: frozenset[str]
    # Observer groups the tags do not name, found by the same means as event kinds.
    other_observers: KindFinder = field(default_factory=lambda: KindFinder(()))
    # Body families by body set, filled as sets are met: an item's bodies come from a few dozen known
    # ones, the same sets recur, and conflict checks ask for them hundreds of times per stored item.
    _families: dict[frozenset[str], frozenset[str]] = field(default_factory=dict, compare=False, repr=False)
    _actors: dict[frozenset[str], frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def families(self, bodies: frozenset[str]) -> frozenset[str]:
        """The families of ``bodies`` (a body outside every family is its own), neutral bodies left out."""
        found = self._families.get(bodies)
        if found is None:
            found = frozenset(self.body_families.get(body, body) for body in bodies - self.neutral_bodies)
            self._families[bodies] = found
        return found

    def actors(self, bodies: frozenset[str]) -> frozenset[str]:
        """The families of ``bodies`` that tell one actor from another (context bodies left out)."""
        found = self._actors.get(bodies)
        if found is None:
            found = self._actors[bodies] = self.families(bodies) - self.context_bodies
        return found

    def kinds_in(self, text: str) -> frozenset[str]:
        """The event kinds named in ``text`` (already folded: lower case, no accents).

        An unspecified kind is replaced by the specific kinds it stands for, unless one is named.
        """
        found = self.kinds.find(text)
        for general, specific in self.unspecified.items():
            if general in found:
                found = found - {general} if found & specific else (found - {general}) | specific
        return found

    def lead_kinds_in(self, text: str) -> frozenset[str]:
        """``kinds_in`` for a lead: a reaction to observers' findings does not report the findings themselves."""
        found = self.kinds_in(text)
        if REACTION in found:
            found -= self.reacted_to
        return found


def trie_alternation(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, the longest one where several match at the same place.

    Written as a trie ("ma(?:r(?:ch|s|zo)?|y)"): the engine reads each letter once instead of
    trying every word in turn at every position. Two words can both match at one position only
    when one is a prefix of the other, and the longer is tried first, as a longest-first list
    would.
    """
    children: dict[str, list[str]] = {}
    ends_here = False
    for word in sorted(set(words)):
        if word:
            children.setdefault(word[0], []).append(word[1:])
        else:
            ends_here = True
    branches = [re.escape(letter) + trie_alternation(rests) for letter, rests in children.items()]
    if len(branches) == 1 and not ends_here:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if ends_here else "") if branches else ""


def build_vocabulary(data: dict[str, Any]) -> Vocabulary:
    """Compile the parsed YAML document into a Vocabulary."""
    months = {fold(str(name)): int(month) for month, names in data["months"].items() for name in names}
    month_names = trie_alternation(months)
    kinds = KindFinder(
        (str(kind), strip_accents(pattern).replace(MONTH_PLACEHOLDER, f"(?:{month_names})"))
        for kind, patterns in data["kinds"].items()
        for pattern in patterns
    )
    # A range names its first and last day: "12–14 сентября", "du 12 au 14 septembre", "September 12-14",
    # "17 e 18 de janeiro".
    ordinal = "(?:st|nd|rd|th|er)?"
    day = r"(?:3[01]|[12]\d|0?[1-9])"
    to = r"\s*(?:[-–—]|to|and|et|au|al|a|e|y|и|по)\s*"
    date_pattern = re.compile(
        rf"\b(?:(?P<day>{day}){ordinal}(?:{to}(?P<last>{day}){ordinal})?\s+(?:de\s+)?(?P<month>{month_names})\b"
        rf"|(?P<month2>{month_names})\b\.?\s+(?P<day2>{day})(?:{to}(?P<last2>{day})\b)?(?!\d))"
    )
    percent_words = "|".join(re.escape(word) for word in data["percent_words"])
    percent_pattern = re.compile(rf"\s?(?:{percent_words})")
    thousand_words = trie_alternation(fold(str(word)) for word in data["thousand_words"])
    thousand_pattern = re.compile(rf"\s(?:{thousand_words})\b")
    lone_thousand_words = trie_alternation(fold(str(word)) for word in data["lone_thousand_words"])
    lone_thousand_pattern = re.compile(rf"(?<![\d\s])\s*\b(?:{lone_thousand_words})\b")
    boilerplate = tuple(ShortcutPattern(pattern) for pattern in data["boilerplate"])
    return Vocabulary(
        kinds,
        months,
        date_pattern,
        percent_pattern,
        thousand_pattern,
        lone_thousand_pattern,
        boilerplate,
        unspecified={str(k): frozenset(map(str, v)) for k, v in (data.get("unspecified") or {}).items()},
        reacted_to=frozenset(map(str, data.get("reacted_to") or ())),
        body_families={str(k): str(v) for k, v in data["body_families"].items()},
        context_bodies=frozenset(data["context_bodies"]),
        neutral_bodies=frozenset(data["neutral_bodies"]),
        other_observers=KindFinder(
            (str(group), strip_accents(pattern))
            for group, patterns in (data.get("other_observers") or {}).items()
            for pattern in patterns
        ),
    )


@functools.cache
def default_vocabulary() -> Vocabulary:
    """The bundled vocabulary (read and compiled once per process)."""
    with EVENTS_FILE.open(encoding="utf-8") as handle:
        return build_vocabulary(yaml.safe_load(handle))
