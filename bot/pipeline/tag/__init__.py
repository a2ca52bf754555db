"""Tagging engine: relevance, countries and bodies of a news item, with evidence for every tag.

Usage::

    tagger = Tagger.load()            # once per process (builds the automata)
    tags = tagger.tag(title, text, "ru")

The engine is small and generic; what it knows (names, aliases, vocabulary) is data in
bot/knowledge/. ``tag`` is pure and thread-safe: it reads the automata built by ``load`` (the
automaton of a language other than English is built once, under a lock, on its first item) and a
lemma cache whose dict writes are atomic.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.knowledge import CAPITAL, INSTITUTION, NAME, SEAT, Homonym, Knowledge, SharedName
from bot.models import Evidence, Tags
from bot.pipeline.normalise import narrowed_langid_identifier
from bot.pipeline.tag.bodies import SHARED, find_bodies
from bot.pipeline.tag.context import ItemContext
from bot.pipeline.tag.countries import entity_mentions, find_countries
from bot.pipeline.tag.gazetteer import Entry, Gazetteer, Match, resolve_overlaps
from bot.pipeline.tag.relevance import CANDIDACY, COURT, ELECTION, INTERNAL, OBSERVE, OFFICIAL_OUTCOME, VOTE, judge
from bot.pipeline.tag.text import Tokens, alias_tokens, headline_and_body, tokenise
from bot.words import CYRILLIC, Lemmatiser, is_dictionary_word

# Labels of commentary (relevance/<lang>.yaml): an opinion piece is not news of an election.
COMMENTARY = "commentary"
# The body behind an election's official turnout and results.
ELECTION_AUTHORITY = "election-commission"

__all__ = ["Tagger"]


class Tagger:
    """Tags items from the knowledge in ``knowledge``; build once with :meth:`load`, then reuse."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self._lemma = Lemmatiser()
        knowledge.lemma = self._lemma
        self._lemma.set_names(_single_word_names(knowledge))
        self._lemma.set_stems(_name_stems(knowledge, self._lemma))
        self._guess = _LanguageGuesser(knowledge.langs)
        self._parents = knowledge.body_parents
        self._ambiguous = frozenset(n.casefold() for n in knowledge.ambiguous)
        self._roles = {bid: b.role for bid, b in knowledge.bodies.items()}
        self._observing = {bid: b.observing for bid, b in knowledge.bodies.items() if b.observing}
        self._shared = {str(i): s for i, s in enumerate(knowledge.shared)}
        self._homonyms = {name.casefold(): h for h in knowledge.homonyms for name in h.names}
        self._langs = knowledge.langs
        self._gazetteer = Gazetteer(_aliases(knowledge), knowledge.langs, self._lemma, terms=_terms(knowledge))
        self._commentary = _commentary_headlines(knowledge)

    @classmethod
    def load(cls, knowledge_dir: Path | None = None) -> Tagger:
        """A tagger over the knowledge in ``knowledge_dir`` (bot/knowledge by default)."""
        return cls(Knowledge.load(knowledge_dir))

    @property
    def lemmatiser(self) -> Lemmatiser:
        """The cached lemmatiser the automata were built with."""
        return self._lemma

    @property
    def alias_count(self) -> int:
        """How many aliases the automata hold (for benchmarks)."""
        return self._gazetteer.size

    def tag(self, title: str, text: str, lang: str | None) -> Tags:
        """Relevance, countries and bodies of one item, with Evidence for each tag."""
        lang = _normalise_lang(lang, title, text, self._guess)
        title, text = headline_and_body(title, text)
        tokens = tokenise(title, text, lang, self._lemma)
        found_entities, found_terms = self._gazetteer.find(tokens, lang)
        ambiguous = self._ambiguous
        # Country names and cities are proper names, and so are the `ambiguous` ones of the data:
        # lower-case "того", "india" or "turkey" are ordinary words. So are national institutions'
        # names: "participación ciudadana" in lower case is a policy, not the observer group.
        entities = resolve_overlaps(
            m
            for m in found_entities
            if not (m.span[:1].islower() and (m.entry.extra in _PROPER or m.span.casefold() in ambiguous))
            and not (m.entry.kind == "body" and m.entry.extra and m.span.islower())
            and not (m.span.casefold() in ambiguous and _first_name(m.last, tokens, lang))
            and not (m.entry.quoted and not _quoted_name_counts(m, found_entities, found_terms, title, text))
        )
        entities = _shared_readings(entities, found_terms, tokens, self._shared)
        entities = _homonym_places_read(entities, self._homonyms)
        # Terms are not resolved: "observers from" (foreign) and "observers" (observe) both count.
        ctx = ItemContext(tokens, entities, found_terms)
        relevant, why = judge(ctx, self._roles)
        commentary = self._commentary.get(lang)
        label = commentary.match(title) if relevant and commentary is not None else None
        if label is not None:
            relevant, why = False, Evidence("irrelevant", label.group(1), "commentary")
        countries, country_evidence = find_countries(ctx)
        evidence: list[Evidence] = [why] if why is not None and relevant else []
        bodies: tuple[str, ...] = ()
        if relevant:
            # Bodies are tagged in their election role only: an irrelevant item has none.
            bodies, body_evidence = find_bodies(ctx, self._parents, self._shared, self._observing)
            if not bodies and why is not None and why.rule == OFFICIAL_OUTCOME and not ctx.item_has(COURT):
                # Turnout and results are the election authority's figures, unless a court proclaims them.
                bodies, body_evidence = (
                    (ELECTION_AUTHORITY,),
                    [Evidence(f"body:{ELECTION_AUTHORITY}", why.span, why.rule)],
                )
            evidence.extend(body_evidence)
        evidence.extend(country_evidence)
        return Tags(relevant, countries, bodies, tuple(evidence))


def _homonym_places_read(entities: list[Match], homonyms: Mapping[str, Homonym]) -> list[Match]:
    """A country's name that is also a place elsewhere ("Georgia" in the US) names that place throughout
    an item where a sentence holding it names a city, region or institution of the other country ("Fulton
    County, Georgia"): an item does not use one name for two places."""
    if not homonyms:
        return entities
    places = {(m.sentence, code) for code, kind, m in entity_mentions(entities) if kind in (CAPITAL, INSTITUTION)}
    readings = []
    for m in entities:
        homonym = homonyms.get(m.span.casefold()) if m.entry.kind == "country" else None
        readings.append((m, homonym if homonym is not None and m.entry.value == homonym.country else None))
    placed = {h for m, h in readings if h is not None and (m.sentence, h.place_in) in places}
    return [m for m, h in readings if h not in placed] if placed else entities


# How many words before a shared name a word for observers may stand: "observadores de la CEI".
OBSERVERS_REACH = 3


def _shared_readings(
    entities: list[Match], terms: list[Match], tokens: Tokens, shared: Mapping[str, SharedName]
) -> list[Match]:
    """Shared names read as one body where the item says which: a national body where the item names
    its country ("CEI" next to Côte d'Ivoire), else the body whose observers they follow ("observadores
    de la CEI": the CIS). The others are left to ``find_bodies``."""
    if not any(m.entry.kind == SHARED for m in entities):
        return entities
    named = {m.entry.value for m in entities if m.entry.kind == "country"}
    observing_words = {i for t in terms if t.entry.kind == OBSERVE for i in range(t.first, t.last + 1)}
    out = []
    for m in entities:
        name = shared.get(m.entry.value) if m.entry.kind == SHARED else None
        if name is not None:
            country = next((country for country in name.in_country if country in named), None)
            before = range(max(m.first - OBSERVERS_REACH, 0), m.first)
            if country is not None:
                m = m._replace(entry=Entry("entity", "body", name.in_country[country], country))
            elif name.observers and any(i in observing_words and tokens.sentence[i] == m.sentence for i in before):
                m = m._replace(entry=Entry("entity", "body", name.observers, ""))
        out.append(m)
    return out


def _first_name(last: int, tokens: Tokens, lang: str) -> bool:
    """Whether the name ending at word ``last`` is a person's first name: "Chad Brennigan", "Jordan
    Whitfield" (a surname follows that no dictionary knows), not "Chad Votes" or "Georgia Tech"."""
    after = last + 1
    if after >= len(tokens) or tokens.sentence[after] != tokens.sentence[last]:
        return False
    word = tokens.surface[after]
    return word[:1].isupper() and not word.isupper() and word.isalpha() and not is_dictionary_word(word, lang)


class _LanguageGuesser:
    """py3langid restricted to the supported languages, built on first use."""

    def __init__(self, langs: tuple[str, ...]) -> None:
        self._langs = langs
        self._identifier: Any = None
        self._lock = threading.Lock()

    @property
    def langs(self) -> tuple[str, ...]:
        """The supported languages."""
        return self._langs

    def __call__(self, title: str, text: str) -> str:
        """The language of an item: Russian for Cyrillic, else py3langid's best supported guess."""
        if CYRILLIC.search(title) or CYRILLIC.search(text[:300]):
            return "ru"
        if self._identifier is None:
            with self._lock:
                if self._identifier is None:
                    # Sliced from the model the normaliser loads anyway: a model of its own cost
                    # a worker ~100 MB the first time an item came in an unsupported language.
                    self._identifier = narrowed_langid_identifier(self._langs)
        guess = str(self._identifier.classify(f"{title} {text[:400]}")[0])
        return guess if guess in self._langs else self._langs[0]


def _normalise_lang(lang: str | None, title: str, text: str, guess: _LanguageGuesser) -> str:
    """A supported language code; a missing or unsupported one is guessed from the text."""
    code = (lang or "").split("-")[0].split("_")[0].lower()
    return code if code in guess.langs else guess(title, text)


def _aliases(kn: Knowledge) -> list[tuple[str, Entry]]:
    """Every name of the knowledge (countries, bodies, institutions) with what it stands for."""
    out: list[tuple[str, Entry]] = []
    for a in kn.country_aliases:
        if a.kind == SEAT:
            out.append((a.alias, Entry("entity", "seat", a.alias)))
        else:
            out.append((a.alias, Entry("entity", "country", a.code, a.kind)))
    for alias, body, country in kn.body_aliases():
        quoted = _is_quoted(alias)
        if body:
            out.append((alias, Entry("entity", "body", body, country, quoted)))
        else:
            out.append((alias, Entry("entity", "country", country, "institution", quoted)))
    for i, s in enumerate(kn.shared):
        out.extend((name, Entry("entity", SHARED, str(i))) for name in s.names)
    return out


def _commentary_headlines(kn: Knowledge) -> dict[str, re.Pattern[str]]:
    """Per language, a headline opening with a commentary label and a colon or dash ("Opinion: ...")."""
    out = {}
    for lang, vocab in kn.vocab.items():
        labels = sorted(vocab.get(COMMENTARY, ()), key=len, reverse=True)
        if labels:
            alternatives = "|".join(map(re.escape, labels))
            out[lang] = re.compile(rf"\W*({alternatives})\s*[:|—–-]", re.IGNORECASE)
    return out


def _terms(kn: Knowledge) -> dict[str, list[tuple[str, Entry]]]:
    """Each language's vocabulary terms with their category (commentary labels are read from headlines alone)."""
    return {
        lang: [
            (term, Entry("term", category, term))
            for category, terms in vocab.items()
            if category != COMMENTARY
            for term in terms
        ]
        for lang, vocab in kn.vocab.items()
    }


_PROPER = frozenset({NAME, CAPITAL})
_VOTE_OR_CANDIDATES = frozenset({VOTE, CANDIDACY})

# Quotation marks of the supported languages: «», „“, “”, "", ‹›, and the single ones.
_OPENING_QUOTES = "«„“\"‹‘'"
_CLOSING_QUOTES = "»“”\"›’'"


def _is_quoted(alias: str) -> bool:
    """An alias written in quotation marks in the knowledge ("«Голос»"): see ``_quoted_name_counts``."""
    return len(alias) > 2 and alias[0] in _OPENING_QUOTES and alias[-1] in _CLOSING_QUOTES


def _quoted_name_counts(match: Match, entities: list[Match], terms: list[Match], title: str, text: str) -> bool:
    """A quoted-only name (the observer group «Голос», also a word and a talent show) counts where the
    item quotes it and names an election, or, with no club, show or other internal vote in sight, names
    a vote, candidates or an institution of the group's own country ("«Голос» о кампании в Госдуму"),
    each outside the name wherever it stands ("голос" is a vote)."""
    if not _written_in_quotes(match.span, title, text):
        return False
    names = {i for m in entities if m.entry == match.entry for i in range(m.first, m.last + 1)}
    kinds = {t.entry.kind for t in terms if names.isdisjoint(range(t.first, t.last + 1))}
    if ELECTION in kinds:
        return True
    if INTERNAL in kinds:
        return False
    # A national body's entry holds its country apart; an institution's is its value.
    own_country = match.entry.extra if match.entry.kind == "body" else match.entry.value
    return bool(kinds & _VOTE_OR_CANDIDATES) or any(
        m.entry.kind == "country" and m.entry.extra == INSTITUTION and m.entry.value == own_country for m in entities
    )


def _written_in_quotes(span: str, title: str, text: str) -> bool:
    """Whether the words of ``span`` stand in quotation marks in the title or the text, as written
    (any inflection the lemma matched: "экспертов «Голоса»")."""
    words = r"\W+".join(map(re.escape, span.split(" ")))
    quoted = re.compile(f"[{re.escape(_OPENING_QUOTES)}]\\s?{words}\\s?[{re.escape(_CLOSING_QUOTES)}]")
    return bool(quoted.search(title) or quoted.search(text))


def _single_word_names(kn: Knowledge) -> frozenset[str]:
    """Country names and cities of one word, case-folded (kept as written by the lemmatiser)."""
    out = set()
    for a in kn.country_aliases:
        words = alias_tokens(a.alias)
        if a.kind in _PROPER and len(words) == 1:
            out.add(words[0].casefold())
    return frozenset(out)


def _name_stems(kn: Knowledge, lemma: Lemmatiser) -> dict[str, str]:
    """Stems of Cyrillic names (the word minus its last one or two letters) → the name's lemma."""
    stems: dict[str, str] = {}
    words: set[str] = set()
    for a in kn.country_aliases:
        words.update(alias_tokens(a.alias))
    for alias, _, _ in kn.body_aliases():
        words.update(alias_tokens(alias))
    for w in words:
        if len(w) >= 5 and CYRILLIC.search(w):
            base = lemma(w, "ru")
            stems.setdefault(w.casefold(), base)
            stems.setdefault(w.casefold()[:-1], base)
            if len(w) >= 6:
                stems.setdefault(w.casefold()[:-2], base)
    return stems
