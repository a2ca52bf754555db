"""Dedupe step: does a new item report a story we already have?

Pure decision code (no SQL, no I/O, no clock): ``fingerprint(item)`` computes what is compared,
``choose_story(fp, candidates)`` decides. Storage finds the candidates (LSH band keys and a
(country, day) index, see ``storage/stories.py``); the poll records the fingerprint of every
stored item so later items can be compared with it.

Modules: ``features`` (the Fingerprint), ``text`` (language-independent text features),
``minhash`` (signatures and band keys), ``vocabulary`` (bot/knowledge/events.yaml), ``decide``
(thresholds and the decision).
"""

from bot.pipeline.dedupe.decide import (
    Candidate,
    Outline,
    choose_among,
    choose_stories,
    choose_story,
    conflict,
    evidence,
    stories_worth_comparing,
)
from bot.pipeline.dedupe.features import NO_COUNTRY, UNDATED_DAY, Fingerprint, fingerprint, undated_windows

__all__ = [
    "NO_COUNTRY",
    "UNDATED_DAY",
    "Candidate",
    "Fingerprint",
    "Outline",
    "choose_among",
    "choose_stories",
    "choose_story",
    "conflict",
    "evidence",
    "fingerprint",
    "stories_worth_comparing",
    "undated_windows",
]
