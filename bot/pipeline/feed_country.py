"""Feed context: the country of a feed that reports on one country, for items that leave it unsaid.

A national outlet writes "the CNE received 400 complaints" or "TSE: 50 % of ballot boxes counted"
without naming its own country, which every reader of that outlet knows. When most of a feed
document's relevant items name one country, its relevant items that name none but report the work of
a national election body (the election commission, citizen observers) are about that country.

Items naming only international bodies keep naming no country: an observers' handbook or a seminar
is not tied to the outlet's country. Wire feeds, which cover many countries, have no such country.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from bot.models import Evidence, Tags

# Bodies whose work is always some country's election: the national election administration and
# domestic observers (the tagger's ids).
NATIONAL_BODIES = frozenset({"election-commission", "citizen-observers"})
# How many relevant items must name the country, and what share of those naming exactly one country.
MIN_ITEMS = 3
MIN_SHARE = 0.9
RULE = "feed-country"


def feed_country(tagged: Sequence[Tags]) -> str | None:
    """The country the feed's relevant items name, if one clearly dominates (``tagged``: one per item)."""
    named = Counter(tags.countries[0] for tags in tagged if tags.relevant and len(tags.countries) == 1)
    if not named:
        return None
    country, count = named.most_common(1)[0]
    return country if count >= MIN_ITEMS and count >= MIN_SHARE * named.total() else None


def in_feed_context(tagged: list[Tags]) -> list[Tags]:
    """The tags of a feed's items, the feed's country given to those about a national body's work that name none."""
    country = feed_country(tagged)
    if country is None:
        return tagged
    out = []
    for tags in tagged:
        national = NATIONAL_BODIES.intersection(tags.bodies)
        if tags.relevant and not tags.countries and national:
            span = next((e.span for e in tags.evidence if e.tag.removeprefix("body:") in national), "")
            tags = replace(
                tags, countries=(country,), evidence=(*tags.evidence, Evidence(f"country:{country}", span, RULE))
            )
        out.append(tags)
    return out
