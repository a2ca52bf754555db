"""``fingerprint(item)``: what dedupe compares, computed once per item (in the poll's worker thread).

A fingerprint holds two kinds of evidence:

* text evidence for copies in one language: a MinHash signature of the normalised title and lead
  (and its LSH band keys) plus the set of word stems;
* language-independent evidence for rewrites and translations: countries and bodies (from the
  tags), event kinds (from the multilingual vocabulary), figures, percentages, dates and names.
"""

from __future__ import annotations

import bisect
import itertools
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from bot.models import Item, Tags
from bot.pipeline.dedupe import minhash
from bot.pipeline.dedupe.text import (
    LEAD_CHARS,
    clean_summary,
    find_dates,
    lead_of,
    names,
    numbers,
    stems,
    words,
)
from bot.pipeline.dedupe.vocabulary import Vocabulary, default_vocabulary
from bot.words import fold

# How far apart in days two reports of one event can be published; used for index lookups only
# (the decision applies its own, tighter windows).
SEARCH_DAYS = 2
# Near copies are looked up among items published up to a week apart (see decide.NEAR_COPY_DAYS).
BAND_SEARCH_DAYS = 7
# An undated item (no or unreadable pubDate) is placed at the dates it mentions; a text naming
# many dates (a calendar) gives no usable anchor.
MAX_EVENT_DATES = 3
# An undated item whose dated neighbours in the feed are this close is filed under every day between them.
NARROW_WINDOW_DAYS = 2
# Every undated item is also filed under this day, which no dated item has, and dated items read it
# whatever their own day: an undated item's place among its feed's dated items, or a date it mentions,
# is a guess that a channel listing posts out of order or a future date ("run-off on 25/10") defeats.
UNDATED_DAY = 0
# An undated item was published on or before its first sighting: its source may be up to a year older.
UNDATED_SEARCH_DAYS = 366
# Items that name no country are filed under this one; items that name one look there too, and items
# that name none look for their kind in every country (and need more evidence to join a story).
NO_COUNTRY = ""
BODY_TAG = "body:"
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Fingerprint:
    """Everything dedupe needs to know about one item; storable as JSON plus a signature blob."""

    lang: str
    relevant: bool
    published: datetime
    published_is_fallback: bool
    countries: frozenset[str]
    bodies: frozenset[str]
    kinds: frozenset[str]
    title_kinds: frozenset[str]
    figures: frozenset[str]
    percents: frozenset[str]
    dates: frozenset[tuple[int, int]]
    names: frozenset[str]
    stems: frozenset[str]
    signature: minhash.Signature = field(compare=False, repr=False)
    bands: tuple[int, ...] = field(default=(), compare=False, repr=False)
    # Bodies the headline names ("CIS observers say ..."): two headlines naming different actors
    # report two statements, whatever else the texts share.
    title_bodies: frozenset[str] = frozenset()
    # For an undated item: the days (ordinals) of its dated neighbours in the feed, older first; feeds
    # list items in publication order, so it was published between them (None: no dated neighbour).
    undated_window: tuple[int, int] | None = None
    # Publication time in days since the epoch: compared hundreds of times per new item, where
    # subtracting datetimes costs several times more.
    published_days: float = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "published_days", self.published.timestamp() / SECONDS_PER_DAY)

    @property
    def day(self) -> int:
        """The publication day as an ordinal (days since 0001-01-01)."""
        return self.published.astimezone(UTC).date().toordinal()

    @property
    def event_days(self) -> tuple[int, ...]:
        """Days an undated item is about: the dates it mentions, placed in the year before it was published.

        "26 апреля" in an item first seen on 26 November means the latest 26 April on or before it;
        between dated neighbours, the latest one on or before the newer neighbour.
        """
        if not self.published_is_fallback or not self.dates or len(self.dates) > MAX_EVENT_DATES:
            return ()
        if self.undated_window:
            seen = date.fromordinal(self.undated_window[1])
        else:
            seen = self.published.astimezone(UTC).date()
        days = []
        for month, day_of_month in sorted(self.dates):
            for year in (seen.year, seen.year - 1):
                try:
                    candidate = date(year, month, day_of_month)
                except ValueError:
                    continue
                if candidate <= seen:
                    days.append(candidate.toordinal())
                    break
        return tuple(days)

    @property
    def index_days(self) -> tuple[int, ...]:
        """Days under which the item is filed in the (country, day) index."""
        if self.published_is_fallback:
            window = self.undated_window
            if window and window[1] - window[0] <= NARROW_WINDOW_DAYS:
                return (UNDATED_DAY, *sorted({*self.event_days, *range(window[0], window[1] + 1)}))
            return (UNDATED_DAY, *self.event_days)
        return (self.day,)

    @property
    def search_days(self) -> tuple[int, int]:
        """The range of index days where reports of the same event are looked up."""
        if self.published_is_fallback:
            return (self.day - UNDATED_SEARCH_DAYS, self.day + SEARCH_DAYS)
        return (self.day - SEARCH_DAYS, self.day + SEARCH_DAYS)

    @property
    def band_days(self) -> tuple[int, int] | None:
        """The range of publication days where near copies are looked up (None: any day)."""
        if self.published_is_fallback:
            return None
        return (self.day - BAND_SEARCH_DAYS, self.day + BAND_SEARCH_DAYS)

    def signature_bytes(self) -> bytes:
        """The MinHash signature in its storage form."""
        return minhash.to_bytes(self.signature)

    def to_json(self) -> str:
        """The features as JSON (the signature and band keys are stored separately)."""
        return json.dumps(
            {
                "lang": self.lang,
                "rel": self.relevant,
                "pub": self.published.isoformat(),
                "fb": self.published_is_fallback,
                "c": sorted(self.countries),
                "b": sorted(self.bodies),
                "k": sorted(self.kinds),
                "tk": sorted(self.title_kinds),
                "n": sorted(self.figures),
                "p": sorted(self.percents),
                "d": sorted(self.dates),
                "nm": sorted(self.names),
                "s": sorted(self.stems),
                **({"tb": sorted(self.title_bodies)} if self.title_bodies else {}),
                **({"w": list(self.undated_window)} if self.undated_window else {}),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def compact(self) -> Fingerprint:
        """This fingerprint with the sets and words it has in common with others shared (for keeping many)."""
        return replace(
            self,
            lang=sys.intern(self.lang),
            countries=_shared(self.countries),
            bodies=_shared(self.bodies),
            kinds=_shared(self.kinds),
            title_kinds=_shared(self.title_kinds),
            names=_interned(self.names),
            stems=_interned(self.stems),
        )

    @classmethod
    def from_json(cls, text: str, signature: bytes) -> Fingerprint:
        """Inverse of :meth:`to_json` (band keys are not needed once stored)."""
        data = json.loads(text)
        return cls(
            lang=sys.intern(data["lang"]),
            relevant=data["rel"],
            published=datetime.fromisoformat(data["pub"]),
            published_is_fallback=data["fb"],
            countries=_shared(data["c"]),
            bodies=_shared(data["b"]),
            kinds=_shared(data["k"]),
            title_kinds=_shared(data["tk"]),
            figures=frozenset(data["n"]),
            percents=frozenset(data["p"]),
            dates=frozenset((month, day) for month, day in data["d"]),
            names=_interned(data["nm"]),
            stems=_interned(data["s"]),
            signature=minhash.from_bytes(signature),
            title_bodies=_shared(data.get("tb", ())),
            undated_window=(data["w"][0], data["w"][1]) if "w" in data else None,
        )


# Decoded fingerprints are kept by the thousand: the few distinct sets of countries, bodies and event
# kinds are shared between them, as are their words (interned), instead of being repeated in each.
_shared_sets: dict[frozenset[str], frozenset[str]] = {}


def _shared(values: Iterable[str]) -> frozenset[str]:
    found = frozenset(values)
    return _shared_sets.setdefault(found, found)


def _interned(words: Iterable[str]) -> frozenset[str]:
    return frozenset(map(sys.intern, words))


def undated_windows(items: Sequence[Item]) -> list[tuple[int, int] | None]:
    """For each undated item of one feed, in feed order, the days of its nearest dated neighbours.

    Feeds list items newest (or oldest) first, so an undated item was published between the dated
    items around it. Nothing is inferred when the dated items are not in order; an undated item
    before the newest dated one lies between it and its first sighting, one after the oldest within
    a week before it.
    """
    times = [dedupe_time(item) for item in items]
    dated = [(index, _day(published)) for index, (published, undated) in enumerate(times) if not undated]
    days = [day for _, day in dated]
    # All on one day reads as newest first, the common order.
    newest_first = all(a >= b for a, b in itertools.pairwise(days))
    if not dated or not (newest_first or all(a <= b for a, b in itertools.pairwise(days))):
        return [None] * len(items)
    positions = [position for position, _ in dated]
    windows: list[tuple[int, int] | None] = []
    for index, (published, undated) in enumerate(times):
        if not undated:
            windows.append(None)
            continue
        # The nearest dated items above and below this one in the feed.
        below_at = bisect.bisect(positions, index)
        above = days[below_at - 1] if below_at else None
        below = days[below_at] if below_at < len(days) else None
        newer, older = (above, below) if newest_first else (below, above)
        newer_day = _day(published) if newer is None else newer
        older_day = newer_day - BAND_SEARCH_DAYS if older is None else older
        windows.append((min(older_day, newer_day), newer_day))
    return windows


def fingerprint(
    item: Item, vocabulary: Vocabulary | None = None, undated_window: tuple[int, int] | None = None
) -> Fingerprint:
    """Compute the fingerprint of a tagged item (pure; ~0.1 ms for a title and lead).

    ``undated_window`` places an undated item between its dated neighbours (see ``undated_windows``).
    """
    vocab = vocabulary or default_vocabulary()
    published, undated = dedupe_time(item)
    lead = lead_of(clean_summary(item.summary, vocab))
    text = f"{item.title}\n{lead}"
    folded_title = fold(item.title)
    folded_text = fold(text)
    # Kinds are read from the title and the opening of the lead: later sentences tend to recall
    # earlier steps ("the mission, which opened in March, ...") that are not this item's event.
    opening = folded_text[: len(folded_title) + 1 + LEAD_CHARS]
    title_kinds = vocab.kinds_in(folded_title)
    folded_words = words(folded_text)
    sig = minhash.signature(minhash.shingles(folded_words))
    event_dates, without_dates = find_dates(folded_text, vocab)
    figures, percents = numbers(without_dates, vocab)
    return Fingerprint(
        lang=item.lang,
        relevant=item.tags.relevant,
        published=published,
        published_is_fallback=undated,
        countries=frozenset(item.tags.countries),
        bodies=frozenset(item.tags.bodies) | vocab.other_observers.find(folded_text),
        kinds=title_kinds | vocab.lead_kinds_in(opening),
        title_kinds=title_kinds,
        figures=figures,
        percents=percents,
        dates=event_dates,
        names=names(text),
        stems=stems(folded_words),
        signature=sig,
        bands=minhash.band_keys(sig),
        undated_window=undated_window if undated else None,
        title_bodies=_shared(_named_in(item.title, item.tags) | vocab.other_observers.find(folded_title)),
    )


def _named_in(title: str, tags: Tags) -> frozenset[str]:
    """The tagged bodies whose evidence (the words that named them) is in the title."""
    return _shared(
        evidence.tag.removeprefix(BODY_TAG)
        for evidence in tags.evidence
        if evidence.tag.startswith(BODY_TAG) and evidence.span and evidence.span in title
    )


def _day(published: datetime) -> int:
    return published.astimezone(UTC).date().toordinal()


# How far ahead of its first sighting an entry's own date may lie and still time it for dedupe: a
# source whose clock runs ahead keeps its items' order and spacing; a date years ahead is noise.
CLAIMED_AHEAD = timedelta(days=400)


def dedupe_time(item: Item) -> tuple[datetime, bool]:
    """The time dedupe reads for ``item`` and whether it is only a first sighting (undated)."""
    claimed = item.claimed_published
    if claimed is not None and claimed - item.published <= CLAIMED_AHEAD:
        return claimed, False
    return item.published, item.published_is_fallback


def days_between(left: Fingerprint, right: Fingerprint) -> float:
    """Absolute time between two publications, in days."""
    return abs(left.published_days - right.published_days)
