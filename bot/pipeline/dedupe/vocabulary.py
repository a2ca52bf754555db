"""The event vocabulary of dedupe, read once from ``bot/knowledge/events.yaml``.

The vocabulary is data (event kinds in en/ru/fr/es, month names, percent words, boilerplate), so
adding a language or an event kind never needs a code change.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.pipeline.dedupe.text import fold, strip_accents

EVENTS_FILE = Path(__file__).resolve().parent.parent.parent / "knowledge" / "events.yaml"


@dataclass(frozen=True)
class Vocabulary:
    """Compiled patterns: one regex per event kind, month names, percent words and boilerplate."""

    kinds: tuple[tuple[str, re.Pattern[str]], ...]
    months: dict[str, int]
    date_pattern: re.Pattern[str]
    percent_pattern: re.Pattern[str]
    boilerplate: tuple[re.Pattern[str], ...]
    body_families: dict[str, str]
    context_bodies: frozenset[str]
    neutral_bodies: frozenset[str]
    # Body families by body set, filled as sets are met: an item's bodies come from a few dozen known
    # ones, the same sets recur, and conflict checks ask for them hundreds of times per stored item.
    _families: dict[frozenset[str], frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def families(self, bodies: frozenset[str]) -> frozenset[str]:
        """The families of ``bodies`` (a body outside every family is its own), neutral bodies left out."""
        found = self._families.get(bodies)
        if found is None:
            found = frozenset(self.body_families.get(body, body) for body in bodies - self.neutral_bodies)
            self._families[bodies] = found
        return found

    def kinds_in(self, text: str) -> frozenset[str]:
        """The event kinds named in ``text`` (already folded: lower case, no accents)."""
        return frozenset(kind for kind, pattern in self.kinds if pattern.search(text))


def build_vocabulary(data: dict[str, Any]) -> Vocabulary:
    """Compile the parsed YAML document into a Vocabulary."""
    kinds = tuple(
        (str(kind), re.compile("|".join(f"(?:{strip_accents(pattern)})" for pattern in patterns)))
        for kind, patterns in data["kinds"].items()
    )
    months = {fold(str(name)): int(month) for month, names in data["months"].items() for name in names}
    # Longest names first so that "september" wins over "sep" in the alternation.
    month_names = "|".join(re.escape(name) for name in sorted(months, key=len, reverse=True))
    date_pattern = re.compile(
        rf"\b(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th|er)?\s+(?:de\s+)?(?P<month>{month_names})\b"
        rf"|(?P<month2>{month_names})\b\.?\s+(?P<day2>\d{{1,2}})(?!\d))"
    )
    percent_words = "|".join(re.escape(word) for word in data["percent_words"])
    percent_pattern = re.compile(rf"\s?(?:{percent_words})")
    boilerplate = tuple(re.compile(pattern) for pattern in data["boilerplate"])
    return Vocabulary(
        kinds,
        months,
        date_pattern,
        percent_pattern,
        boilerplate,
        body_families={str(k): str(v) for k, v in data["body_families"].items()},
        context_bodies=frozenset(data["context_bodies"]),
        neutral_bodies=frozenset(data["neutral_bodies"]),
    )


@functools.cache
def default_vocabulary() -> Vocabulary:
    """The bundled vocabulary (read and compiled once per process)."""
    with EVENTS_FILE.open(encoding="utf-8") as handle:
        return build_vocabulary(yaml.safe_load(handle))
