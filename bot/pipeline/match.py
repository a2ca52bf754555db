"""Match step: which chats want a new story. Pure, with an index so the cost follows the matches.

Each filter is filed under one positive "anchor" term (country, body, ``all`` or keyword); a story
looks up only the filters anchored on its own countries, bodies and keywords, then checks those
filters in full. Matching therefore costs the same with 100 or 100,000 subscriptions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ahocorasick

from bot.models import Filter, Subscription, Term

_ANCHOR_PRIORITY = {"country": 0, "body": 1, "keyword": 2, "all": 3}
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class StoryFacts:
    """What a filter can test: tags (bodies with their ancestors) and the text, case-folded."""

    relevant: bool
    countries: frozenset[str]
    bodies: frozenset[str]
    text: str


def story_facts(
    relevant: bool,
    countries: Iterable[str],
    bodies: Iterable[str],
    text: str,
    parents: Mapping[str, str | None],
) -> StoryFacts:
    """Build StoryFacts, expanding bodies with their parents (a story of osce-odihr is also osce)."""
    expanded: set[str] = set()
    for body in bodies:
        current: str | None = body
        while current and current not in expanded:
            expanded.add(current)
            current = parents.get(current)
    return StoryFacts(relevant, frozenset(countries), frozenset(expanded), f" {text.casefold()} ")


def _has_phrase(text: str, phrase: str) -> bool:
    start = text.find(phrase)
    while start != -1:
        end = start + len(phrase)
        if not _WORD.match(text[start - 1]) and not _WORD.match(text[end]):
            return True
        start = text.find(phrase, start + 1)
    return False


def term_holds(term: Term, facts: StoryFacts) -> bool:
    """Whether one (non-negated reading of a) term is true of the story."""
    if term.kind == "country":
        return term.value in facts.countries
    if term.kind == "body":
        return term.value in facts.bodies
    if term.kind == "keyword":
        return _has_phrase(facts.text, term.value.casefold())
    return True


def filter_matches(filter_: Filter, facts: StoryFacts) -> bool:
    """Every positive term holds and no negated one does; only relevant stories are ever matched."""
    if not facts.relevant:
        return False
    return all(term_holds(term, facts) != term.negated for term in filter_.terms)


def anchor(filter_: Filter) -> Term:
    """The positive term a filter is indexed under (the most selective kind first)."""
    positive = [term for term in filter_.terms if not term.negated]
    if not positive:
        return Term("all", "all")
    return min(positive, key=lambda term: _ANCHOR_PRIORITY[term.kind])


class SubscriptionIndex:
    """Subscriptions filed by anchor term."""

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        # Each entry keeps the filter's other terms: most filters have none, and match on the anchor alone.
        self._by_key: dict[tuple[str, str], list[tuple[Subscription, tuple[Term, ...]]]] = defaultdict(list)
        self._keywords: ahocorasick.Automaton | None = None
        keywords: set[str] = set()
        self.size = 0
        for subscription in subscriptions:
            term = anchor(subscription.filter)
            value = term.value.casefold() if term.kind == "keyword" else term.value
            rest = tuple(other for other in subscription.filter.terms if other != term)
            self._by_key[(term.kind, value)].append((subscription, rest))
            if term.kind == "keyword":
                keywords.add(value)
            self.size += 1
        if keywords:
            automaton = ahocorasick.Automaton()
            for keyword in keywords:
                automaton.add_word(keyword, keyword)
            automaton.make_automaton()
            self._keywords = automaton

    def _candidates(self, facts: StoryFacts) -> Iterable[tuple[Subscription, tuple[Term, ...]]]:
        yield from self._by_key.get(("all", "all"), ())
        for country in facts.countries:
            yield from self._by_key.get(("country", country), ())
        for body in facts.bodies:
            yield from self._by_key.get(("body", body), ())
        if self._keywords is not None:
            for keyword in {found for _, found in self._keywords.iter(facts.text)}:
                yield from self._by_key.get(("keyword", keyword), ())

    def match(self, facts: StoryFacts) -> list[int]:
        """The chats (database ids, each once) with at least one filter that matches the story."""
        if not facts.relevant:
            return []
        chats: dict[int, None] = {}
        for subscription, rest in self._candidates(facts):
            if subscription.chat_row in chats:
                continue
            if not rest or all(term_holds(term, facts) != term.negated for term in rest):
                chats[subscription.chat_row] = None
        return list(chats)
