"""Relevance: is the item about an election observed, monitored or administered by a body?

Explainable rules over the item's term and body matches; the first rule that holds gives the
Evidence. Vocabulary categories come from bot/knowledge/relevance/<lang>.yaml: ``election``
(words that can only mean a public election), ``vote`` (votes of any kind, an assembly's ballot
too), ``observe``, ``public``, ``internal`` and ``assess``.

Rules, in order:
1. internal-vote (negative): a club, federation, university, company, party or an international
   assembly votes internally and nothing marks a public election or names an election body.
   historical-anniversary (negative): the headline is about the past (an anniversary, "30 years
   since the first free elections").
2. observation-of-election: one sentence names both observing and an election (or a vote, in an
   item that names an election elsewhere or in a sentence that names a body).
3. electoral-body: a body that exists to run or observe elections (election commission, citizen
   observers, EU EOM, IFES...) and an election word, a vote or candidates anywhere in the item outside
   the body's own name ("Junta Central Electoral" issuing birth certificates is not about an election),
   or results or turnout in the headline or lead, unless the headline is about civil-registry work
   and names no election.
4. official-outcome: turnout or results in the headline or lead of an item naming an election, with
   a country or a figure, no opinion poll in sight and no markets in the headline: an election
   authority's figures, even where it is not named.
5. court-rules-on-election: a court upholds, annuls or rejects challenges to an election, in one
   sentence that names the court, the ruling and the election (courts have no body tag).
6. body-assesses-election: a body (OSCE, UN, OAS, Council of Europe...) in a sentence that names an
   election outside the body's own name, in an item that reports an assessment (a legal opinion on an electoral
   code, a report).
7. observer-mission-of-body: a general body's observers or mission ("CIS observer mission opens
   its headquarters") in an item that names an election elsewhere.
Anything else (campaign rallies, opinion polls, ceasefire monitors, weather stations, a body named
in passing next to an election) is not relevant: no rule fires.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.models import Evidence
from bot.pipeline.tag.bodies import body_matches
from bot.pipeline.tag.context import ItemContext
from bot.pipeline.tag.countries import country_mentions
from bot.pipeline.tag.gazetteer import Match

ELECTION, VOTE, OBSERVE, PUBLIC, INTERNAL, ASSESS = "election", "vote", "observe", "public", "internal", "assess"
CANDIDACY = "candidacy"
HISTORY = "history"
CIVIL_REGISTRY = "civil_registry"
# What makes an election body's mention about an election: an election word, a vote or candidates.
_ELECTORAL_CONTEXT = (ELECTION, VOTE, CANDIDACY)
OUTCOME, SURVEY, COURT, RULING, MARKETS = "outcome", "survey", "court", "ruling", "markets"
OFFICIAL_OUTCOME = "official-outcome"
# The headline and the lead's first sentence.
HEADLINE_AND_LEAD = (0, 1)
ELECTORAL = "electoral"


def judge(ctx: ItemContext, roles: Mapping[str, str]) -> tuple[bool, Evidence | None]:
    """Relevance of the item and the Evidence of the deciding rule (None when no rule fired)."""
    bodies = body_matches(ctx)
    if (
        ctx.item_has(INTERNAL)
        and not _public_election_named(ctx)
        and not _election_body(ctx, bodies, roles)
        and not _observed_election(ctx)
    ):
        cue = ctx.first_term(INTERNAL)
        return False, Evidence("irrelevant", ctx.text(cue) if cue else "", "internal-vote")
    past = ctx.first_term(HISTORY, 0)
    if past is not None:
        return False, Evidence("irrelevant", ctx.text(past), "historical-anniversary")
    strong = ctx.item_has(ELECTION)
    observed_body = _observers_of_election_body(ctx, bodies, roles)
    if (
        not strong
        and not ctx.item_has(VOTE)
        and not ctx.item_has(CANDIDACY)
        and not _outcome_reported(ctx)
        and observed_body is None
    ):
        return False, None
    for sentence in sorted(ctx.terms_by_sentence):
        if ctx.sentence_has(sentence, OBSERVE):
            # "Observers say the vote was calm" counts when the item names an election somewhere, or
            # when they are a body's observers ("observers (OSCE, PACE): the vote was competitive");
            # "observers expect a close vote on the budget" does not, nor a Security Council vote on a
            # mission.
            vote_counts = strong or _bodys_observers(ctx, bodies, sentence)
            el = ctx.first_term(ELECTION, sentence) or (ctx.first_term(VOTE, sentence) if vote_counts else None)
            obs = ctx.first_term(OBSERVE, sentence)
            if el is not None and obs is not None:
                return True, Evidence("relevant", f"{ctx.text(obs)} … {ctx.text(el)}", "observation-of-election")
    # Words inside a body's own name ("Junta Central Electoral") name the body, not an election.
    inside_bodies = {i for m in bodies for i in range(m.first, m.last + 1)}
    if (
        _election_word_outside(ctx, inside_bodies) or _outcome_reported(ctx, inside_bodies)
    ) and not _civil_registry_headline(ctx, inside_bodies):
        for m in bodies:
            if roles.get(m.entry.value) == ELECTORAL:
                return True, Evidence("relevant", m.span, "electoral-body")
    if observed_body is not None:
        return True, Evidence("relevant", observed_body.span, "electoral-body")
    if not strong:
        return False, None
    if not ctx.item_has(SURVEY) and not ctx.sentence_has(0, MARKETS):
        for sentence in HEADLINE_AND_LEAD:
            outcome = ctx.first_term(OUTCOME, sentence)
            # An authority's turnout is some country's, or a figure: "why turnout is falling
            # everywhere" is an opinion.
            if outcome is not None and (country_mentions(ctx) or _has_number(ctx, sentence)):
                return True, Evidence("relevant", ctx.text(outcome), OFFICIAL_OUTCOME)
    for sentence in sorted(ctx.terms_by_sentence) if ctx.item_has(COURT) and ctx.item_has(RULING) else ():
        court = ctx.first_term(COURT, sentence)
        if (
            court is not None
            # "Tribunal Supremo Electoral" is an election authority, not a court.
            and court.first not in inside_bodies
            and ctx.sentence_has(sentence, RULING)
            and _election_word_outside(ctx, inside_bodies, sentence, kinds=(ELECTION,))
        ):
            return True, Evidence("relevant", ctx.text(court), "court-rules-on-election")
    if ctx.item_has(ASSESS):
        for m in bodies:
            if _election_word_outside(ctx, inside_bodies, m.sentence, kinds=(ELECTION,)):
                return True, Evidence("relevant", m.span, "body-assesses-election")
    for m in bodies:
        if ctx.sentence_has(m.sentence, OBSERVE):
            return True, Evidence("relevant", m.span, "observer-mission-of-body")
    return False, None


# A body named this many words from a word for observers is theirs: "observers (OSCE, PACE)".
BODY_OBSERVERS_REACH = 3
PERSON = "person"


def _bodys_observers(ctx: ItemContext, bodies: list[Match], sentence: int) -> bool:
    # Observers are people ("observers", "наблюдатели"): a body's "support mission" is not.
    at = ctx.term_at
    of = ctx.tokens.sentence
    return any(
        OBSERVE in at.get(i, ()) and PERSON in at.get(i, ()) and of[i] == sentence
        for m in bodies
        if m.sentence == sentence
        for i in range(max(m.first - BODY_OBSERVERS_REACH, 0), m.last + BODY_OBSERVERS_REACH + 1)
    )


def _observers_of_election_body(ctx: ItemContext, bodies: list[Match], roles: Mapping[str, str]) -> Match | None:
    # Observers in a sentence about an election body ("the mission's 28 observers congratulated the
    # TSE") watch an election: the body that exists for elections, named with them.
    at = ctx.term_at
    of = ctx.tokens.sentence
    for m in bodies:
        if roles.get(m.entry.value) != ELECTORAL:
            continue
        for i, kinds in at.items():
            if of[i] == m.sentence and OBSERVE in kinds and PERSON in kinds and not m.first <= i <= m.last:
                return m
    return None


def _outcome_reported(ctx: ItemContext, inside: frozenset[int] | set[int] = frozenset()) -> bool:
    # An election body announcing results or turnout in the headline or lead ("Electoral Commission
    # declares the winner", "la Commission nationale de recensement des votes proclame les résultats")
    # reports on an election even when no other word names it.
    return any(
        m.entry.kind == OUTCOME
        and m.sentence in HEADLINE_AND_LEAD
        and not inside.issuperset(range(m.first, m.last + 1))
        for m in ctx.terms
    )


def _has_number(ctx: ItemContext, sentence: int) -> bool:
    tokens = ctx.tokens
    return any(word.isdigit() and tokens.sentence[i] == sentence for i, word in enumerate(tokens.surface))


def _public_election_named(ctx: ItemContext) -> bool:
    # "El Colegio de Abogados elige presidente dos días antes de las municipales": a public election
    # named only to date the event does not make the vote public.
    return any(
        m.entry.kind == PUBLIC and not ctx.term_at_any("as_date", range(m.first - 3, m.first), sentence=m.sentence)
        for m in ctx.terms
    )


def _observed_election(ctx: ItemContext) -> bool:
    # Observers and an election in one sentence: "student organisations" met by a pre-election
    # mission do not make the election a students' vote. A federation's own "commission
    # overseeing electoral operations" observes nothing public.
    return any(
        ctx.sentence_has(s, OBSERVE) and ctx.sentence_has(s, ELECTION) and not _internal_oversight(ctx, s)
        for s in ctx.terms_by_sentence
    )


def _internal_oversight(ctx: ItemContext, sentence: int) -> bool:
    internal = ctx.first_term(INTERNAL, sentence)
    observe = ctx.first_term(OBSERVE, sentence)
    if internal is None or observe is None:
        return False
    # Observers of the organisation's vote ("observers of the federation's commission"), or an
    # election that is the organisation's own ("школьные избирательные комиссии").
    return internal.first > observe.first or all(
        _owned_by_organisation(ctx, term)
        for term in ctx.terms
        if term.entry.kind == ELECTION and term.sentence == sentence
    )


def _election_body(ctx: ItemContext, bodies: list[Match], roles: Mapping[str, str]) -> bool:
    # A national institution or a body that exists for elections is never a club's committee; a
    # generic "election commission" may be one, and a general body may be voting internally.
    # One name in one item is one institution: the student council's "Comelec" of the lead is the
    # headline's "Comelec" too.
    owned = {(m.entry.value, m.entry.extra) for m in bodies if m.entry.extra and _owned_by_organisation(ctx, m)}
    return any(
        (m.entry.extra and (m.entry.value, m.entry.extra) not in owned)
        or (roles.get(m.entry.value) == ELECTORAL and m.entry.value != "election-commission")
        for m in bodies
    )


# Words that may stand between a name and the organisation owning it: "el Tricel de la federación",
# "the commission of the union". Any other word ("комиссии разместились в школах") breaks the link.
_OWNER_LINKS = frozenset(
    {"of", "the", "de", "la", "el", "del", "los", "las", "du", "des", "le", "l", "da", "do", "das", "dos"}
)


def _owned_by_organisation(ctx: ItemContext, name: Match) -> bool:
    """A name qualified by a club's, a union's or a school's words is that organisation's own: "the
    Student Council Commission on Elections", "el Tricel de la federación", "школьные избирательные
    комиссии"."""
    keys = ctx.tokens.key
    after = name.last + 1
    while after < len(keys) and keys[after] in _OWNER_LINKS:
        after += 1
    return ctx.term_at_any(INTERNAL, (name.first - 1, after), sentence=name.sentence)


def _election_word_outside(
    ctx: ItemContext, inside: set[int], sentence: int | None = None, kinds: tuple[str, ...] = _ELECTORAL_CONTEXT
) -> bool:
    # "Junta Central Electoral" names the body, not an election: a commission issuing birth
    # certificates or identity cards is doing civil-registry work.
    return any(
        m.entry.kind in kinds
        and (sentence is None or m.sentence == sentence)
        and not inside.issuperset(range(m.first, m.last + 1))
        for m in ctx.terms
    )


def _civil_registry_headline(ctx: ItemContext, inside: set[int]) -> bool:
    # Many election bodies also keep the civil register or issue identity cards ("TSE shares its
    # biometric data for the new ID card"): a headline about that work, naming no election, is not
    # about one even when the lead mentions the electoral roll.
    return ctx.sentence_has(0, CIVIL_REGISTRY) and not _election_word_outside(ctx, inside, 0)
