"""Subject countries: the country or countries whose election the item is about.

Every mention of a country (name, demonym, capital or city, national institution) gets a weight:
direct names weigh more than demonyms and cities; the title and sentences that name an election or
a body weigh more than the rest. Mentions count for nothing in sentences about other countries'
citizens (observers "from" X, voting abroad) and when a demonym qualifies a person ("the Dutch head
of mission"); seats of bodies (Vienna, Strasbourg, Warsaw) are not countries at all. The item's
countries are those close to the best score and anchored in the title or an election sentence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.knowledge import CAPITAL, DEMONYM, INSTITUTION, NAME
from bot.models import Evidence
from bot.pipeline.tag.context import ItemContext
from bot.pipeline.tag.gazetteer import Match
from bot.pipeline.tag.text import is_flag

BASE_WEIGHT = {NAME: 3.0, INSTITUTION: 3.0, DEMONYM: 2.0, CAPITAL: 1.5}
TITLE_FACTOR = 2.0
ELECTION_SENTENCE_FACTOR = 1.5
# A country is kept when its score reaches this share of the best one (several countries voting).
KEEP_RATIO = 0.45
# Weight left to a country known only from a national institution when another country is named.
INSTITUTION_ONLY_FACTOR = 0.3
# A sentence listing this many countries is an enumeration (observers' states, partners), rarely
# the subject: its mentions weigh this much.
LIST_SIZE, LIST_FACTOR = 3, 0.15


def country_mentions(ctx: ItemContext) -> list[tuple[str, str, Match]]:
    """(code, mention kind, match) for every country mention, national bodies included."""
    return _shared_institutions_read(entity_mentions(ctx.entities))


def entity_mentions(entities: Iterable[Match]) -> list[tuple[str, str, Match]]:
    """(code, mention kind, match) for the entities that name a country, national bodies included, as
    the gazetteer found them (before shared institutions' names are read)."""
    out: list[tuple[str, str, Match]] = []
    for m in entities:
        if m.entry.kind == "country":
            out.append((m.entry.value, m.entry.extra, m))
        elif m.entry.kind == "body" and m.entry.extra:
            out.append((m.entry.extra, INSTITUTION, m))
    return out


def _shared_institutions_read(mentions: list[tuple[str, str, Match]]) -> list[tuple[str, str, Match]]:
    """An institution's name that several countries use ("Participación Ciudadana", observers in the
    Dominican Republic and in Ecuador) names only those of them the item names otherwise, if any."""
    codes_at: dict[tuple[int, int], set[str]] = defaultdict(set)
    for code, kind, m in mentions:
        if kind == INSTITUTION:
            codes_at[(m.first, m.last)].add(code)
    shared = {span for span, codes in codes_at.items() if len(codes) > 1}
    if not shared:
        return mentions
    named_otherwise = {code for code, _, m in mentions if (m.first, m.last) not in shared}
    out = []
    for code, kind, m in mentions:
        span = (m.first, m.last)
        if span not in shared or code in named_otherwise or not codes_at[span] & named_otherwise:
            out.append((code, kind, m))
    return out


def find_countries(ctx: ItemContext) -> tuple[tuple[str, ...], list[Evidence]]:
    """The item's subject countries (best first) and one Evidence each."""
    scores: dict[str, float] = {}
    anchored: dict[str, Match] = {}
    first: dict[str, tuple[Match, str]] = {}
    body_sentences = {m.sentence for m in ctx.entities if m.entry.kind == "body"}
    mentions = country_mentions(ctx)
    if not mentions:
        return (), []
    per_sentence: dict[int, set[str]] = defaultdict(set)
    in_order: dict[int, list[tuple[str, Match]]] = defaultdict(list)
    for code, _, m in mentions:
        per_sentence[m.sentence].add(code)
        in_order[m.sentence].append((code, m))
    lead = min((s for s in per_sentence if s > 0), default=-1)
    lead_scores: dict[str, float] = {}
    people: dict[str, Match] = {}
    by_sentence = ctx.terms_by_sentence
    demonym_ending_at = {m.last: code for code, kind, m in mentions if kind == DEMONYM}
    for code, kind, m in mentions:
        weight = BASE_WEIGHT.get(kind, 1.0)
        sentence = m.sentence
        if kind == DEMONYM and _qualifies_person(ctx, m):
            # The leader's nationality ("conduite par un ancien ministre ghanéen") is no clue at all.
            if not _leaders_country(ctx, m):
                people.setdefault(code, m)
            continue
        if kind in (NAME, CAPITAL) and _residence_of_others(ctx, m, code, demonym_ending_at):
            continue
        if _in_row_of_flags(ctx, m):
            continue
        if _observers_origin(ctx, m, code, in_order[sentence]) or _leaders_country(ctx, m):
            continue
        in_sentence = len(per_sentence[sentence])
        if sentence == 0:
            # A title is short: only names after an "observers from" cue are other countries.
            if _foreign(ctx, m, 1):
                continue
            weight *= TITLE_FACTOR
        elif _foreign(ctx, m, in_sentence) and not (kind == INSTITUTION and _far_from_cue(ctx, m)):
            continue
        if in_sentence >= LIST_SIZE:
            weight *= LIST_FACTOR
        electoral = "election" in by_sentence.get(sentence, ()) or sentence in body_sentences
        if electoral and sentence != 0:
            weight *= ELECTION_SENTENCE_FACTOR
        if sentence == 0 or electoral:
            anchored.setdefault(code, m)
        elif sentence == lead:
            lead_scores[code] = lead_scores.get(code, 0.0) + weight
        scores[code] = scores.get(code, 0.0) + weight
        first.setdefault(code, (m, kind))
    # A national institution's country yields to a country the item names outright: the same
    # acronym can belong to another country (INEC is Nigeria's and Tanzania's commission).
    named = {code for code, kind, m in mentions if kind != INSTITUTION and code in anchored}
    if named:
        for code in scores:
            if code not in named:
                scores[code] *= INSTITUTION_ONLY_FACTOR
    candidates = {c: s for c, s in scores.items() if c in anchored}
    if not candidates and lead_scores:
        # Nothing in the title or an election sentence: the lead (dateline and first sentence)
        # still says where the story happens.
        top = max(lead_scores, key=lambda c: lead_scores[c])
        anchored[top] = first[top][0]
        candidates = {top: scores[top]}
    if not candidates and people:
        # Only nationalities of people: "Kazakh observers report high turnout" is about Kazakhstan.
        top = next(iter(people))
        anchored[top] = people[top]
        first.setdefault(top, (people[top], DEMONYM))
        candidates = {top: 1.0}
    if not candidates:
        return (), []
    best = max(candidates.values())
    chosen = sorted((c for c, s in candidates.items() if s >= KEEP_RATIO * best), key=lambda c: -candidates[c])
    evidence = []
    for code in chosen:
        m = anchored[code]
        kind = first[code][1]
        where = "title" if m.sentence == 0 else "election-sentence"
        evidence.append(Evidence(f"country:{code}", m.span, f"{kind}-in-{where}"))
    return tuple(chosen), evidence


# A national institution more than this many words after a "foreign" cue is not what the cue is about:
# "68 observers of 21 nationalities ... urged the ONPE to publish the count" names Peru's commission.
INSTITUTION_CUE_REACH = 3


def _far_from_cue(ctx: ItemContext, m: Match) -> bool:
    cue = ctx.first_term("foreign", m.sentence)
    return cue is not None and m.first - cue.last > INSTITUTION_CUE_REACH


def _foreign(ctx: ItemContext, m: Match, countries_in_sentence: int) -> bool:
    # In a sentence about observers "from" X or voting "abroad", mentions after the cue are the
    # other countries; with two or more countries in such a sentence, all of them are.
    cue = ctx.first_term("foreign", m.sentence)
    if cue is None:
        return False
    if m.first > cue.first and ctx.term_at_any("voting_for", (m.first - 1, m.first - 2), sentence=m.sentence):
        # "overseas voting for (the) Moldovan election": the country voted for is the subject.
        return False
    return countries_in_sentence >= 2 or m.first > cue.first


# How close an observers' country comes before the observing ("Kyrgyz MPs to observe", "Делегация ЦИК
# Таджикистана наблюдает"), and the observed country after an election word ("elections in Hungary",
# "comicios municipales en Paraguay"), in words.
ORIGIN_REACH = 4
OBSERVED_REACH = 3


def _observers_origin(ctx: ItemContext, m: Match, code: str, sentence_mentions: list[tuple[str, Match]]) -> bool:
    # A country named just before observing, in a sentence where an election word names another
    # country just after it (not as another origin, "observers from X"), is where the observers come from.
    if len(sentence_mentions) < 2 or not ctx.sentence_has(m.sentence, "observe"):
        return False
    terms = [t for t in ctx.terms if t.sentence == m.sentence]
    observe = next((t for t in terms if t.entry.kind == "observe" and 0 < t.first - m.last <= ORIGIN_REACH + 1), None)
    if observe is None:
        return False
    cue = ctx.first_term("foreign", m.sentence)
    elections = [t.last for t in terms if t.entry.kind == "election" and t.first > observe.last]
    return any(
        other != code
        and (cue is None or later.first < cue.first)
        and any(0 < later.first - end <= OBSERVED_REACH + 1 for end in elections)
        for other, later in sentence_mentions
    )


# How far after "led by" a country still describes the leader: "conduite par un ancien président de la
# commission électorale du Ghana".
LEADER_REACH = 10


def _leaders_country(ctx: ItemContext, m: Match) -> bool:
    # "the mission, led by a former Nigerian president", "encabezada por un excanciller paraguayo".
    cue = ctx.first_term("led_by", m.sentence)
    return cue is not None and 0 < m.first - cue.last <= LEADER_REACH


# "los rumanos de España", "les Portugais de France", "Moldovans in Italy", "молдаване в Италии".
RESIDENCE_WORDS = frozenset({"in", "de", "d", "en", "em", "no", "na", "au", "aux", "в", "во"})


def _residence_of_others(ctx: ItemContext, m: Match, code: str, demonym_ending_at: dict[int, str]) -> bool:
    # A country right after another country's people and "in"/"de" is where they live: the diaspora
    # votes in the other country's election.
    before = m.first - 1
    if before < 1 or ctx.tokens.key[before] not in RESIDENCE_WORDS:
        return False
    people = demonym_ending_at.get(before - 1)
    return people is not None and people != code


def _in_row_of_flags(ctx: ItemContext, m: Match) -> bool:
    # One flag marks the post's country; a row of them ("observers 🇺🇸🇬🇧🇫🇷") lists participants.
    surface, sentence = ctx.tokens.surface, ctx.tokens.sentence
    return is_flag(surface[m.first]) and any(
        0 <= i < len(surface) and sentence[i] == m.sentence and is_flag(surface[i]) for i in (m.first - 1, m.first + 1)
    )


def _qualifies_person(ctx: ItemContext, m: Match) -> bool:
    # "the Dutch head of mission": a person word right after the demonym (within two tokens).
    # French and Spanish put the adjective after the noun ("un député français"): both sides count.
    return ctx.term_at_any("person", (m.first - 2, m.first - 1, m.last + 1, m.last + 2), sentence=m.sentence)
