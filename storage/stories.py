"""Story fingerprints: LSH band keys, the (country, day) index and per-item features for dedupe.

Finding the candidate stories of a new item is one statement whatever the number of stored items:
capped lookups by band key (``story_bands``) and by country, kind and day (``story_topics``) in tables
keyed for them, whose rows name the item's story, resolved through ``stories.merged_into`` and read with
each story's newest item ids (``stories.recent_items``). Features are read by item id, only for items the
caller has not decoded yet. The decision itself is made in ``bot.pipeline.dedupe``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from sqlite_utils import Database

from storage.feeds import to_text

# Upper bounds that keep one lookup cheap even on a burst of news about one country: the most
# recent candidate stories, and the stored items read for them.
MAX_CANDIDATE_STORIES = 50
MAX_CANDIDATE_ITEMS = 400
# Newest rows read per band key or (country, kind): a near copy shares several bands with its original,
# and an original older than the newest few dozen items on the same key is outside the dedupe window anyway.
MAX_ITEMS_PER_KEY = 40
MAX_ITEMS_PER_STORY = 12


@dataclass(frozen=True)
class StoredFingerprint:
    """One stored item's dedupe features, as recorded by :meth:`StoryStore.record`."""

    item_id: int
    features: str
    signature: bytes


@dataclass(frozen=True)
class StorySource:
    """One link through which a feed delivered an item of a story."""

    feed: str
    title: str
    link: str
    lang: str


@dataclass(frozen=True)
class StoryListing:
    """A story for listing: its representative item and every source."""

    id: int
    first_seen: datetime
    title: str
    relevant: bool
    countries: tuple[str, ...]
    bodies: tuple[str, ...]
    sources: tuple[StorySource, ...]


def _marks(values: Iterable[object]) -> str:
    return ", ".join("?" for _ in values)


@functools.lru_cache(maxsize=256)
def _candidates_sql(bands: int, band_days: bool, topic_keys: int, day_keys: int = 0, any_country: bool = False) -> str:
    """The candidate lookup for this many band keys, topic keys over a day range and topic keys on one day;
    a topic key is a (country, kind), or a kind alone with ``any_country``. Its parameters, in order: per
    band key (key, [first day, last day,] cap), per topic key ([country,] kind, first day, last day, cap), per
    day key ([country,] kind, day, cap), and the cap on stories."""
    band_day_clause = " AND day BETWEEN ? AND ?" if band_days else ""
    band_part = (
        f"SELECT story_id FROM (SELECT story_id FROM story_bands WHERE band_key = ?{band_day_clause} "
        "ORDER BY day DESC LIMIT ?)"
    )
    key = "kind = ?" if any_country else "country = ? AND kind = ?"
    topic_part = (
        f"SELECT story_id FROM (SELECT story_id FROM story_topics WHERE {key} AND day BETWEEN ? AND ? "
        "ORDER BY day DESC LIMIT ?)"
    )
    day_part = (
        f"SELECT story_id FROM (SELECT story_id FROM story_topics WHERE {key} AND day = ? "
        "ORDER BY item_id DESC LIMIT ?)"
    )
    lookups = " UNION ALL ".join([band_part] * bands + [topic_part] * topic_keys + [day_part] * day_keys)
    return (
        "SELECT id, recent_items FROM stories WHERE id IN (SELECT DISTINCT coalesce(merged_into, id) FROM stories "
        f"WHERE id IN ({lookups}) ORDER BY 1 DESC LIMIT ?)"
    )


class StoryStore:
    """Queries on story fingerprints and story listings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        story_id: int,
        item_id: int,
        *,
        day: int,
        index_days: Iterable[int],
        countries: Iterable[str],
        kinds: Iterable[str],
        bands: Iterable[int],
        features: str,
        signature: bytes,
    ) -> None:
        """File an item's fingerprint under its story, band keys and (country, kind, day) triples."""
        self.db.execute(
            "INSERT OR REPLACE INTO story_features (item_id, story_id, day, features, signature) "
            "VALUES (?, ?, ?, ?, ?)",
            (item_id, story_id, day, features, signature),
        )
        self.db.execute(
            "UPDATE stories SET recent_items = (SELECT json_group_array(value) FROM (SELECT value FROM "
            "(SELECT ? AS value UNION SELECT value FROM json_each(stories.recent_items)) ORDER BY value DESC LIMIT ?)) "
            "WHERE id = ?",
            (item_id, MAX_ITEMS_PER_STORY, story_id),
        )
        self.db.conn.executemany(
            "INSERT INTO story_bands (band_key, day, item_id, story_id) VALUES (?, ?, ?, ?)",
            [(band, day, item_id, story_id) for band in bands],
        )
        kind_list = list(kinds)
        self.db.conn.executemany(
            "INSERT INTO story_topics (country, kind, day, item_id, story_id) VALUES (?, ?, ?, ?, ?)",
            [
                (country, kind, index_day, item_id, story_id)
                for country in countries
                for kind in kind_list
                for index_day in index_days
            ],
        )

    def candidates(
        self,
        bands: tuple[int, ...],
        band_days: tuple[int, int] | None,
        countries: tuple[str, ...],
        kinds: tuple[str, ...],
        topic_days: tuple[int, int] | None,
        also_day: int | None = None,
        *,
        any_country: bool = False,
    ) -> list[tuple[int, int]]:
        """(story id, item id) of the stored items of the stories sharing a band key or a (country, kind, day).

        ``band_days`` limits band matches to items published in that day range (None: any day);
        ``topic_days`` is the day range of the (country, kind, day) lookup (None: no such lookup);
        ``also_day``, a day outside that range whose (country, kind) rows are read too. With ``any_country``
        the lookups are by kind and day in every country (``countries`` unused).
        The items' features are read separately (:meth:`features`): callers keep decoded ones.
        """
        # One small lookup per band key and per (country, kind), each capped to its newest rows on its own
        # index: a key shared by hundreds of items (boilerplate wording, a busy election day) costs the
        # same as a rare one, so finding candidates does not slow down as the store grows.
        params: list[object] = []
        for band in bands:
            params += [band, *(band_days or ()), MAX_ITEMS_PER_KEY]
        keys: list[tuple[str, ...]] = (
            [(kind,) for kind in kinds] if any_country else [(country, kind) for country in countries for kind in kinds]
        )
        topic_keys = len(keys) if topic_days else 0
        for key in keys if topic_days else ():
            params += [*key, *(topic_days or ()), MAX_ITEMS_PER_KEY]
        day_keys = len(keys) if also_day is not None else 0
        for key in keys if day_keys else ():
            params += [*key, also_day, MAX_ITEMS_PER_KEY]
        if not (bands or topic_keys or day_keys):
            return []
        params.append(MAX_CANDIDATE_STORIES)
        # The newest items of each story speak for it (kept on the story row by ``record`` and ``merge``):
        # a story carried by dozens of outlets would otherwise be read whole for every new item that might join it.
        rows: list[tuple[int, int]] = []
        sql = _candidates_sql(len(bands), band_days is not None, topic_keys, day_keys, any_country)
        for story_id, recent in self.db.execute(sql, params):
            # A JSON array of integers, read without the JSON parser: hundreds are read per new item.
            rows += [(story_id, int(item_id)) for item_id in recent.strip("[]").split(",") if item_id]
        rows.sort(key=itemgetter(1), reverse=True)
        return rows[:MAX_CANDIDATE_ITEMS]

    def features(self, item_ids: Iterable[int]) -> list[StoredFingerprint]:
        """The stored features of these items."""
        ids = list(item_ids)
        if not ids:
            return []
        rows = self.db.execute(
            "SELECT item_id, features, signature FROM story_features WHERE item_id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        ).fetchall()
        return [StoredFingerprint(row[0], row[1], row[2]) for row in rows]

    def signatures(self, item_ids: list[int]) -> dict[int, bytes]:
        """The stored MinHash signatures of these items, by item id."""
        if not item_ids:
            return {}
        rows = self.db.execute(
            "SELECT item_id, signature FROM story_features WHERE item_id IN (SELECT value FROM json_each(?))",
            (json.dumps(item_ids),),
        ).fetchall()
        return {item_id: signature for item_id, signature in rows}

    def merge(self, into: int, others: Iterable[int], now: datetime) -> None:
        """Move every item of ``others`` into story ``into``.

        The emptied stories stay, pointing at ``into`` (their index rows still name them; pending
        deliveries of them are dropped because they have no items any more); ``into`` keeps its
        representative and takes the earliest first-seen time.
        """
        absorbed = [story for story in others if story != into]
        if not absorbed:
            return
        marks = _marks(absorbed)
        self.db.execute(f"UPDATE items SET story_id = ? WHERE story_id IN ({marks})", (into, *absorbed))
        self.db.execute(f"UPDATE story_features SET story_id = ? WHERE story_id IN ({marks})", (into, *absorbed))
        self.db.execute(
            "UPDATE stories SET recent_items = (SELECT json_group_array(item_id) FROM (SELECT item_id FROM "
            "story_features WHERE story_id = ? ORDER BY item_id DESC LIMIT ?)) WHERE id = ?",
            (into, MAX_ITEMS_PER_STORY, into),
        )
        self.db.execute(
            f"UPDATE stories SET merged_into = ? WHERE id IN ({marks}) OR merged_into IN ({marks})",
            (into, *absorbed, *absorbed),
        )
        self.db.execute(
            "UPDATE stories SET updated_at = ?, first_seen = "
            f"min(first_seen, (SELECT min(first_seen) FROM stories WHERE id IN ({marks}))) WHERE id = ?",
            (to_text(now), *absorbed, into),
        )

    def recent(self, limit: int, include_irrelevant: bool = False) -> list[StoryListing]:
        """The most recently first-seen stories that have items, newest first, with their sources."""
        rows = self.db.execute(
            "SELECT s.id, s.first_seen, i.title, i.relevant, i.countries, i.bodies FROM stories s "
            "JOIN items i ON i.id = s.representative_item_id "
            "WHERE (? OR i.relevant = 1) AND EXISTS (SELECT 1 FROM items m WHERE m.story_id = s.id) "
            "ORDER BY s.first_seen DESC, s.id DESC LIMIT ?",
            (int(include_irrelevant), limit),
        ).fetchall()
        listings = []
        for story_id, first_seen, title, relevant, countries, bodies in rows:
            sources = self.db.execute(
                "SELECT coalesce(f.name, f.url, ''), i.title, r.link, i.lang FROM receipts r "
                "JOIN items i ON i.id = r.item_id LEFT JOIN feeds f ON f.id = r.feed_id "
                "WHERE i.story_id = ? ORDER BY r.id",
                (story_id,),
            ).fetchall()
            listings.append(
                StoryListing(
                    id=story_id,
                    first_seen=datetime.fromisoformat(first_seen),
                    title=title,
                    relevant=bool(relevant),
                    countries=tuple(json.loads(countries)),
                    bodies=tuple(json.loads(bodies)),
                    sources=tuple(StorySource(*source) for source in sources),
                )
            )
        return listings
