"""``choose_story(fp, candidates)``: which stored story a new item belongs to, if any.

Pure: candidates come in as data (the storage layer found them by LSH band and by country and
day); the answer is a story id or None. A wrong merge hides news from a user, a missed merge only
shows one outlet twice, so every threshold leans towards keeping items apart:

1. **Conflicts** rule a story out against *any* of its items: other relevance, other countries,
   other observing bodies (in the texts, or named by the headlines), or contradicting percentages
   (a 21.3 % turnout at 10:00 and a 67.4 % final turnout are two events). Checking every item
   stops chains of weak links.
2. **Near copies** in one language (syndicated copies, new headlines on the same lead, re-posts):
   the title+lead shingles agree (estimated Jaccard ≥ NEAR_COPY_SIMILARITY) within a week.
3. **Rewrites and translations**: same country (or none named), a common event kind, published within
   REWRITE_HOURS, and enough language-independent evidence (shared bodies, figures, dates, names,
   similar words in one language; a translation, which cannot share words, gets TRANSLATION_CREDIT)
   to reach MERGE_SCORE.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.pipeline.dedupe import minhash
from bot.pipeline.dedupe.features import BAND_SEARCH_DAYS, Fingerprint, days_between
from bot.pipeline.dedupe.vocabulary import Vocabulary, default_vocabulary

# Near copies: half the shingles of title+lead in common is far above what two different stories
# share (boilerplate is stripped first), and covers a new headline over an unchanged lead.
NEAR_COPY_SIMILARITY = 0.5
# Re-publications and late syndication happen within days; the same template a week later
# ("the mission published its interim report") is usually a different report.
NEAR_COPY_DAYS = float(BAND_SEARCH_DAYS)
# No two items of one story lie further apart than this.
STORY_SPAN_DAYS = NEAR_COPY_DAYS
_STORY_SPAN = timedelta(days=STORY_SPAN_DAYS)
# Translations and rewrites of one event appear within a day and a half (time zones, an agency's
# evening translation of a morning release). Successive steps of a mission are days apart.
REWRITE_DAYS = 1.5
# Reports within a few hours of each other are more likely to be about the same news.
CLOSE_DAYS = 0.25
# An undated item's event date (a date it mentions) may precede the reports by up to two days.
UNDATED_LAG_DAYS = 2

# Evidence weights for rewrites and translations.
SHARED_BODY = 2.0  # a named observing body, not the election commission
FIGURE_WEIGHT_LARGE = 2.0  # a percentage, a decimal or a number ≥ 100: rarely shared by chance
FIGURE_WEIGHT_SMALL = 1.0  # 10–99: counts of experts, observers, recommendations
MAX_FIGURES = 4.0
FIGURES_DISAGREE = 2.0
SHARED_DATE = 1.0
MAX_DATES = 2.0
SHARED_NAME = 1.0
MAX_NAMES = 2.0
SAME_TITLE_KIND = 1.0  # both headlines name the same kind of event
CLOSE_IN_TIME = 1.0
# Stem overlap in one language (share of the shorter text's stems found in the other): rewrites of
# one story share much of their vocabulary; two reports of different events of one election share
# the election's words ("parliamentary elections", the country) and little else.
WORDS_STRONG, WORDS_STRONG_SCORE = 0.5, 3.0
WORDS_SOME, WORDS_SOME_SCORE = 0.35, 1.5
MIN_STEMS = 6
# A translation can never show shared wording, which gives a rewrite in one language up to
# WORDS_STRONG_SCORE: what it has (bodies, figures, dates, names, headline kind, time) counts for one
# point more, so a translated statement with a shared figure and a close publication time joins its original.
TRANSLATION_CREDIT = 1.0
# Enough evidence to merge: e.g. a shared body and a shared figure, or two figures, or similar
# wording plus one more fact. Country, kind and time are prerequisites and score nothing.
MERGE_SCORE = 4.0
# An undated item's timing is inferred, so it needs one more piece of evidence; one that its feed
# neighbours and the dates it mentions do not place near the other report needs another.
UNDATED_EXTRA = 1.0
UNPLACED_EXTRA = 1.0
# An item that names no country (a channel post, a report whose country is only implied) may be about
# any country's election: it needs one more piece of evidence too.
NO_COUNTRY_EXTRA = 1.0
# Headlines led by different actors that each text names (a joint mission's partners, or two missions
# mentioning each other) need more evidence of one statement.
OTHER_HEADLINE_ACTOR = 2.0
NEAR_COPY_SCORE = 100.0


@dataclass(frozen=True)
class Candidate:
    """A stored item of a possible story, with its fingerprint."""

    story_id: int
    item_id: int
    fingerprint: Fingerprint


@dataclass(frozen=True, slots=True)
class Outline:
    """The part of a stored item's fingerprint that rules most candidate stories out before any is decoded.

    Small enough to keep for every recent item, where full fingerprints are decoded only for the
    stories an outline does not already rule out.
    """

    relevant: bool
    countries: frozenset[str]
    lang: str
    kinds: frozenset[str]


def _outline_conflict(new: Fingerprint, relevant: bool, countries: frozenset[str]) -> str | None:
    if new.relevant != relevant:
        # A relevant item in an irrelevant story would never be delivered.
        return "relevance"
    if new.countries and countries and new.countries.isdisjoint(countries):
        return "countries"
    return None


def _may_be_rewrite(new: Fingerprint, countries: frozenset[str], kinds: frozenset[str]) -> bool:
    """``evidence``'s prerequisites for a rewrite: a common event kind, in a common country or where one names none."""
    return not new.kinds.isdisjoint(kinds) and (
        not (new.countries and countries) or not new.countries.isdisjoint(countries)
    )


def stories_worth_comparing(
    fp: Fingerprint,
    members_by_story: Mapping[int, Sequence[tuple[int, Outline]]],
    signatures: Callable[[list[int]], Mapping[int, minhash.Signature]],
) -> list[int]:
    """The candidate stories (id → their items' ids and outlines) that ``choose_among`` might pick for ``fp``.

    A story is left out when an item's outline conflicts with ``fp`` (``choose_among`` rejects it on the
    same rules), or when none of its items could give enough evidence: ``evidence`` scores nothing
    without a common kind in a common country, unless the texts are near copies in one language.
    ``signatures`` reads the signatures of the items that only a near copy could make count; full
    fingerprints, which cost far more to read, are needed only for the stories returned.
    """
    open_ids = [
        story_id
        for story_id, members in members_by_story.items()
        if not any(_outline_conflict(fp, outline.relevant, outline.countries) for _, outline in members)
    ]
    worth: set[int] = set()
    copy_candidates: dict[int, int] = {}
    for story_id in open_ids:
        members = members_by_story[story_id]
        if any(_may_be_rewrite(fp, outline.countries, outline.kinds) for _, outline in members):
            worth.add(story_id)
            continue
        for item_id, outline in members:
            if outline.lang == fp.lang:
                copy_candidates[item_id] = story_id
    if copy_candidates:
        for item_id, signature in signatures(list(copy_candidates)).items():
            if minhash.similarity(fp.signature, signature) >= NEAR_COPY_SIMILARITY:
                worth.add(copy_candidates[item_id])
    return [story_id for story_id in open_ids if story_id in worth]


class ConflictRules:
    """What rules stories out for one new item; built once per item, then asked about each stored item."""

    def __init__(self, new: Fingerprint, vocab: Vocabulary) -> None:
        self.new = new
        self.families_of = vocab.families
        self.families = vocab.families(new.bodies)
        self.actors_of = vocab.actors
        self.title_actors = vocab.actors(new.title_bodies)

    def reason(self, old: Fingerprint) -> str | None:
        """Why the new item cannot be in a story that holds ``old`` (None when nothing contradicts)."""
        found = self.reason_but_time(old)
        if found:
            return found
        apart = _dated_days_apart(self.new, old)
        if apart is not None and apart > STORY_SPAN_DAYS:
            # Bounds chains of links: a story is one event's coverage, not a running thread.
            return "time"
        return None

    def reason_but_time(self, old: Fingerprint) -> str | None:
        """``reason`` without the time rule: what the two items report contradicts."""
        new = self.new
        outline_conflict = _outline_conflict(new, old.relevant, old.countries)
        if outline_conflict:
            return outline_conflict
        if old.bodies:
            old_families = self.families_of(old.bodies)
            if old_families:
                if self.families and self.families.isdisjoint(old_families):
                    return "bodies"
                # A headline naming an actor the other text never names ("SCO mission: ..." against a
                # text naming the CIS alone); a joint mission's partners ("PACE observers", "ODIHR")
                # are each named in the other's text.
                if self.title_actors and self.title_actors.isdisjoint(old_families):
                    return "headline bodies"
        if old.title_bodies and self.families:
            old_title_actors = self.actors_of(old.title_bodies)
            if old_title_actors and old_title_actors.isdisjoint(self.families):
                return "headline bodies"
        if new.percents and old.percents and not _percents_agree(new.percents, old.percents):
            return "percentages"
        return None


@dataclass(frozen=True)
class _Facts:
    """The items of a story that agree on everything but time: one of them, and their dated span."""

    sample: Fingerprint
    # First and last publication among the dated items (None: all undated).
    dated: tuple[datetime, datetime] | None


def _facts_of(members: Sequence[Fingerprint], vocab: Vocabulary) -> list[_Facts]:
    """A story's items grouped by what conflicts read apart from time (copies of one report share it)."""
    groups: dict[tuple[object, ...], list[Fingerprint]] = defaultdict(list)
    for member in members:
        key = (member.relevant, member.countries, vocab.families(member.bodies), member.title_bodies, member.percents)
        groups[key].append(member)
    facts = []
    for group in groups.values():
        dated = [member.published for member in group if not member.published_is_fallback]
        facts.append(_Facts(group[0], (min(dated), max(dated)) if dated else None))
    return facts


def _too_far_apart(left: tuple[datetime, datetime] | None, right: tuple[datetime, datetime] | None) -> bool:
    """True when a dated item of one span and a dated item of the other lie further apart than a story may."""
    if left is None or right is None:
        return False
    (left_first, left_last), (right_first, right_last) = left, right
    return max(left_last - right_first, right_last - left_first) > _STORY_SPAN


def _stories_conflict(left: list[_Facts], right: list[_Facts], vocab: Vocabulary) -> bool:
    """True when some item of one story conflicts with some item of the other (as ``conflict`` decides)."""
    for mine in left:
        rules = ConflictRules(mine.sample, vocab)
        for theirs in right:
            if rules.reason_but_time(theirs.sample) or _too_far_apart(mine.dated, theirs.dated):
                return True
    return False


def conflict(new: Fingerprint, old: Fingerprint, vocab: Vocabulary | None = None) -> str | None:
    """Why ``new`` cannot be in a story that holds ``old`` (None when nothing contradicts)."""
    return ConflictRules(new, vocab or default_vocabulary()).reason(old)


def _dated_days_apart(new: Fingerprint, old: Fingerprint) -> float | None:
    """Days between two publications when both are dated (None: a first-seen time stands in for one)."""
    if new.published_is_fallback or old.published_is_fallback:
        return None
    return days_between(new, old)


def _in_time(new: Fingerprint, old: Fingerprint, limit_days: float) -> bool:
    apart = _dated_days_apart(new, old)
    if apart is not None:
        return apart <= limit_days
    if new.published_is_fallback and old.published_is_fallback:
        return False
    undated, dated = (new, old) if new.published_is_fallback else (old, new)
    window = undated.undated_window
    if window and window[0] - limit_days <= dated.day <= window[1] + limit_days:
        return True
    return any(0 <= dated.day - day <= UNDATED_LAG_DAYS for day in undated.event_days)


def _seen_after(new: Fingerprint, old: Fingerprint, limit_days: float) -> bool:
    """One item is undated and the other was published before it was first seen (or up to ``limit_days``
    after: a repost may be fetched before its source)."""
    if new.published_is_fallback == old.published_is_fallback:
        return False
    undated, dated = (new, old) if new.published_is_fallback else (old, new)
    return dated.published_days <= undated.published_days + limit_days


def _next_step_in_same_words(new: Fingerprint, old: Fingerprint) -> bool:
    """Days apart with headlines naming different events: an agency's next report on the same process
    ("preliminary count closes", then "district counts confirm the result") reuses its lead's wording.
    A re-publication days later keeps its headline."""
    apart = _dated_days_apart(new, old)
    return apart is not None and apart > REWRITE_DAYS and new.title_kinds != old.title_kinds


def _rounded_alike(whole: str, exact: str) -> bool:
    """A whole-number percentage is a rounding of a decimal one within one point ("about 64 per cent", 64.1 %)."""
    return whole.isdigit() and "." in exact and abs(float(exact) - int(whole)) < 1


def _rounded_percents(new: frozenset[str], old: frozenset[str]) -> frozenset[str]:
    """The decimal percentages of either item that the other gives rounded to a whole number."""
    return frozenset(
        exact
        for left, right in ((new, old), (old, new))
        for whole in left - right
        for exact in right - left
        if _rounded_alike(whole, exact)
    )


def _percents_agree(new: frozenset[str], old: frozenset[str]) -> bool:
    return not new.isdisjoint(old) or bool(_rounded_percents(new, old))


def _figure_score(shared: frozenset[str], shared_percents: frozenset[str]) -> float:
    score = 0.0
    for figure in shared:
        large = figure in shared_percents or "." in figure or ":" in figure or (figure.isdigit() and int(figure) >= 100)
        if large:
            score += FIGURE_WEIGHT_LARGE
        elif figure.isdigit() and int(figure) >= 10:
            score += FIGURE_WEIGHT_SMALL
    return min(score, MAX_FIGURES)


def _stem_overlap(new: Fingerprint, old: Fingerprint) -> float:
    # Containment rather than Jaccard: a one-sentence press-release summary is wholly contained in
    # a longer rewrite of it, and Jaccard would punish the length difference.
    smaller = min(len(new.stems), len(old.stems))
    return len(new.stems & old.stems) / smaller if smaller >= MIN_STEMS else 0.0


def evidence(new: Fingerprint, old: Fingerprint, vocab: Vocabulary | None = None) -> float:
    """How strongly two items report the same event; 0 when a prerequisite is missing.

    NEAR_COPY_SCORE for near copies; otherwise the sum of the evidence weights above, provided
    both items name the same country (or one names none, for more evidence), a common event kind, and are
    close enough in time.
    """
    vocab = vocab or default_vocabulary()
    same_language = new.lang == old.lang
    # Headlines name different events, unless each names one the other's text reports too: "GERB
    # first, turnout below 39 %" and "CEC announces final results" headline one count differently.
    title_kinds_disagree = (
        new.title_kinds
        and old.title_kinds
        and not new.title_kinds & old.title_kinds
        and not (new.title_kinds & old.kinds and old.title_kinds & new.kinds)
    )
    # The same template with other figures is the next update ("turnout at 14:00: 41 %"), not a copy.
    figures_disagree = new.figures and old.figures and not new.figures & old.figures
    if (
        same_language
        and not title_kinds_disagree
        and not figures_disagree
        and not _next_step_in_same_words(new, old)
        and minhash.similarity(new.signature, old.signature) >= NEAR_COPY_SIMILARITY
        and _in_time(new, old, NEAR_COPY_DAYS)
    ):
        return NEAR_COPY_SCORE
    if not _may_be_rewrite(new, old.countries, old.kinds):
        return 0.0
    placed = _in_time(new, old, REWRITE_DAYS)
    if not (placed or _seen_after(new, old, REWRITE_DAYS)):
        return 0.0
    if title_kinds_disagree:
        # The headlines name different events ("preliminary results" / "observers say"): an
        # observers' statement quoting the turnout is not the commission's results story.
        return 0.0
    score = 0.0
    # By family: a wire copy that says "OSCE observers" and the press release of ODIHR name one actor.
    # The families of each body set are kept by the vocabulary; context bodies are their own family.
    specific = vocab.actors(new.bodies) & vocab.actors(old.bodies)
    if specific:
        score += SHARED_BODY
    shared_percents = new.percents & old.percents
    if new.percents - shared_percents and old.percents - shared_percents:
        # A wire's "about 40 %" and the commission's 40.9 % are one figure.
        shared_percents |= _rounded_percents(new.percents, old.percents)
    shared_figures = (new.figures & old.figures) | shared_percents
    score += _figure_score(shared_figures, shared_percents)
    if new.figures and old.figures and not shared_figures:
        # Figures survive translation and rewriting; two reports citing only different figures
        # are more likely successive updates ("update 3", "update 4") than one story.
        score -= FIGURES_DISAGREE
    score += min(SHARED_DATE * len(new.dates & old.dates), MAX_DATES)
    score += min(SHARED_NAME * len(new.names & old.names), MAX_NAMES)
    if new.title_kinds & old.title_kinds:
        score += SAME_TITLE_KIND
    apart = _dated_days_apart(new, old)
    if apart is not None and apart <= CLOSE_DAYS:
        score += CLOSE_IN_TIME
    if same_language:
        overlap = _stem_overlap(new, old)
        if overlap >= WORDS_STRONG:
            score += WORDS_STRONG_SCORE
        elif overlap >= WORDS_SOME:
            score += WORDS_SOME_SCORE
    else:
        score += TRANSLATION_CREDIT
    if apart is None:
        score -= UNDATED_EXTRA if placed else UNDATED_EXTRA + UNPLACED_EXTRA
    if not (new.countries and old.countries):
        score -= NO_COUNTRY_EXTRA
    if new.title_bodies and old.title_bodies:
        new_actors, old_actors = vocab.actors(new.title_bodies), vocab.actors(old.title_bodies)
        if new_actors and old_actors and new_actors.isdisjoint(old_actors):
            score -= OTHER_HEADLINE_ACTOR
    return score


def choose_stories(fp: Fingerprint, candidates: list[Candidate], vocab: Vocabulary | None = None) -> list[int]:
    """Every story ``fp`` belongs to, strongest first; more than one means they are one story.

    An item can link two stories that were opened apart (a translation arrived before the copy
    that links it to the original). They are returned together only if no member of one conflicts
    with a member of another; the caller merges them into the first.
    """
    by_story: dict[int, list[Fingerprint]] = defaultdict(list)
    for candidate in candidates:
        by_story[candidate.story_id].append(candidate.fingerprint)
    return choose_among(fp, by_story, vocab)


def choose_among(
    fp: Fingerprint, by_story: Mapping[int, Sequence[Fingerprint]], vocab: Vocabulary | None = None
) -> list[int]:
    """``choose_stories`` with the candidates already grouped: story id → its stored items' fingerprints."""
    vocab = vocab or default_vocabulary()
    rules = ConflictRules(fp, vocab)
    scored: list[tuple[float, int]] = []
    for story_id, members in by_story.items():
        if any(rules.reason(member) for member in members):
            continue
        score = 0.0
        for member in members:
            score = max(score, evidence(fp, member, vocab))
            if score >= NEAR_COPY_SCORE:
                break  # nothing scores higher than a near copy
        if score >= MERGE_SCORE:
            scored.append((score, story_id))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    chosen: list[int] = []
    facts: dict[int, list[_Facts]] = {}

    def facts_for(story_id: int) -> list[_Facts]:
        if story_id not in facts:
            facts[story_id] = _facts_of(by_story[story_id], vocab)
        return facts[story_id]

    for _, story_id in scored:
        if not any(_stories_conflict(facts_for(story_id), facts_for(kept), vocab) for kept in chosen):
            chosen.append(story_id)
    return chosen


def choose_story(fp: Fingerprint, candidates: list[Candidate], vocab: Vocabulary | None = None) -> int | None:
    """The story ``fp`` joins, or None for a new story.

    ``candidates`` should hold every stored item of each candidate story (conflicts are checked
    against all of them). Among stories with enough evidence the strongest wins; ties go to the
    older story.
    """
    chosen = choose_stories(fp, candidates, vocab)
    return chosen[0] if chosen else None
