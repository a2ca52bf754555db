"""Relevance: is the item about an election observed, monitored or administered by a body?

Explainable rules over the item's term and body matches; the first rule that holds gives the
Evidence. Vocabulary categories (election, observe, public, internal) come from
bot/knowledge/relevance/<lang>.yaml.

Rules, in order:
1. internal-vote (negative): a club, federation, university, company or parliament votes
   internally and nothing marks a public election or names a national/international body.
2. observation-of-election: one sentence names both observing and an election.
3. electoral-body: a body that exists to run or observe elections (election commission, citizen
   observers, EU EOM, IFES...) and an election word anywhere in the item.
4. body-in-election-sentence: a general body (OSCE, UN, OAS, Council of Europe...) in a sentence
   that names an election (its legal opinion on an electoral code, its observers of a vote).
5. observer-mission-of-body: a general body's observers or mission ("CIS observer mission opens
   its headquarters") in an item that names an election elsewhere.
Anything else (campaign rallies, opinion polls, ceasefire monitors, weather stations) is not
relevant: no rule fires.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.models import Evidence
from bot.pipeline.tag.bodies import body_matches
from bot.pipeline.tag.context import ItemContext
from bot.pipeline.tag.gazetteer import Match

ELECTION, OBSERVE, PUBLIC, INTERNAL = "election", "observe", "public", "internal"


def judge(ctx: ItemContext, roles: Mapping[str, str]) -> tuple[bool, Evidence | None]:
    """Relevance of the item and the Evidence of the deciding rule (None when no rule fired)."""
    bodies = body_matches(ctx)
    if ctx.item_has(INTERNAL) and not ctx.item_has(PUBLIC) and not _specific_body(bodies):
        cue = ctx.first_term(INTERNAL)
        return False, Evidence("irrelevant", ctx.text(cue) if cue else "", "internal-vote")
    if not ctx.item_has(ELECTION):
        return False, None
    for sentence in sorted(ctx.terms_by_sentence):
        if ctx.sentence_has(sentence, OBSERVE) and ctx.sentence_has(sentence, ELECTION):
            obs = ctx.first_term(OBSERVE, sentence)
            el = ctx.first_term(ELECTION, sentence)
            span = f"{ctx.text(obs)} … {ctx.text(el)}" if obs and el else ""
            return True, Evidence("relevant", span, "observation-of-election")
    for m in bodies:
        if roles.get(m.entry.value) == "electoral":
            return True, Evidence("relevant", m.span, "electoral-body")
    for m in bodies:
        if ctx.sentence_has(m.sentence, ELECTION):
            return True, Evidence("relevant", m.span, "body-in-election-sentence")
    for m in bodies:
        if ctx.sentence_has(m.sentence, OBSERVE):
            return True, Evidence("relevant", m.span, "observer-mission-of-body")
    return False, None


def _specific_body(bodies: list[Match]) -> bool:
    # A national body (it carries its country) or an international one is never a club's committee.
    return any(m.entry.extra or m.entry.value != "election-commission" for m in bodies)
