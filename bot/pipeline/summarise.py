"""Summarise step: a story's items → a platform-neutral Summary (headline, lead, labels, sources)."""

from __future__ import annotations

import re
from typing import Protocol

from bot.models import StoredItem, Summary

MAX_LEAD = 300
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”)]?\s+")


class Labels(Protocol):
    """Readable names for tag ids."""

    def country_label(self, code: str) -> str:
        """E.g. ``KZ`` → ``🇰🇿 Kazakhstan``."""
        ...

    def body_label(self, body_id: str) -> str:
        """E.g. ``osce-odihr`` → ``OSCE/ODIHR``."""
        ...


def lead(text: str, limit: int = MAX_LEAD) -> str:
    """One or two sentences of ``text`` within ``limit`` characters, cut at a sentence or word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentences = _SENTENCE_END.split(text)
    chosen = ""
    for sentence in sentences[:2]:
        candidate = f"{chosen} {sentence}".strip()
        if len(candidate) > limit:
            break
        chosen = candidate
    if chosen:
        return chosen
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:—-") + "…"


def summarise(
    representative: StoredItem,
    source: str,
    other_sources: list[str],
    labels: Labels,
) -> Summary:
    """Build the Summary of a story from its representative item and the names of its other outlets."""
    also = tuple(dict.fromkeys(name for name in other_sources if name != source))
    body = representative.summary
    if body.startswith(representative.title):
        body = body[len(representative.title) :].lstrip(" .:-—\n")
    return Summary(
        story_id=representative.story_id or representative.id,
        title=representative.title or "(untitled)",
        link=representative.link,
        lead=lead(body),
        countries=tuple(labels.country_label(code) for code in representative.tags.countries),
        bodies=tuple(labels.body_label(body_id) for body_id in representative.tags.bodies),
        source=source,
        published=representative.published,
        also=also,
    )
