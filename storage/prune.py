"""Pruning: old stories leave the database, the keys of their items stay behind as tombstones.

A feed may list an article for months, or re-list an old one; without its keys the bot would take it
for new and notify again. Tombstones are a few dozen bytes per item and are kept for good.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot.models import Item
from storage.feeds import to_text
from storage.items import CONTENT_KEY_PREFIX, page_key

_UNFINISHED = "('pending', 'sending', 'uncertain')"


def guid_key(feed_id: int, guid: str) -> str:
    """A guid is only unique within its feed, and identifies an item alone only when it has no link."""
    return f"guid\x1f{feed_id}\x1f{guid}"


def link_key(canonical_link: str) -> str:
    """A page is one item across feeds, whatever http/https or www. flip its link shows."""
    return f"link\x1f{page_key(canonical_link)}"


def hash_key(content_hash: str) -> str:
    """Identical title and text, whatever the link."""
    return f"hash\x1f{content_hash}"


def item_keys(feed_id: int, item: Item) -> list[str]:
    """The exact-duplicate keys an incoming item is checked against."""
    # As in ItemStore.find_exact: feeds that give every entry one guid must not lose new articles.
    keys = [hash_key(item.content_hash)]
    if item.canonical_link:
        keys.append(link_key(item.canonical_link))
    elif item.guid:
        keys.append(guid_key(feed_id, item.guid))
    return keys


@dataclass(frozen=True)
class PruneBatch:
    """What one batch removed."""

    stories: int
    items: int
    tombstones: int


def _marks(values: Iterable[object]) -> str:
    return ", ".join("?" for _ in values)


class PruneStore:
    """Removes stories untouched since a cutoff, keeping their items' keys."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def any_pruned(self) -> bool:
        """True once anything has been pruned (until then no item needs looking up)."""
        return self.db.execute("SELECT 1 FROM item_tombstones LIMIT 1").fetchone() is not None

    def was_pruned(self, feed_id: int, item: Item) -> bool:
        """True when this item matches an item removed by pruning."""
        keys = item_keys(feed_id, item)
        return (
            self.db.execute(f"SELECT 1 FROM item_tombstones WHERE key IN ({_marks(keys)}) LIMIT 1", keys).fetchone()
            is not None
        )

    def prune_batch(self, cutoff: datetime, now: datetime, limit: int) -> PruneBatch:
        """Remove up to ``limit`` stories not updated since ``cutoff`` and with nothing left to deliver.

        Runs inside the caller's transaction; one batch keeps the write lock short.
        """
        story_ids = [
            row[0]
            for row in self.db.execute(
                # A merged story goes with the story that took its items (its index rows still name it), and
                # its deliveries count as that story's.
                "SELECT s.id FROM stories s WHERE s.updated_at < ? AND s.merged_into IS NULL AND NOT EXISTS "
                f"(SELECT 1 FROM outbox o WHERE o.state IN {_UNFINISHED} AND (o.story_id = s.id "
                "OR o.story_id IN (SELECT m.id FROM stories m WHERE m.merged_into = s.id))) "
                "ORDER BY s.updated_at LIMIT ?",
                (to_text(cutoff), limit),
            )
        ]
        if not story_ids:
            return PruneBatch(0, 0, 0)
        stories = _marks(story_ids)
        hashes = dict(
            self.db.execute(f"SELECT id, content_hash FROM items WHERE story_id IN ({stories})", story_ids).fetchall()
        )
        item_ids = list(hashes)
        items = _marks(item_ids)
        keys = {hash_key(content_hash) for content_hash in hashes.values()}
        for feed_id, canonical, guid in self.db.execute(
            f"SELECT feed_id, canonical_link, guid FROM receipts WHERE item_id IN ({items})", item_ids
        ):
            if not canonical.startswith(CONTENT_KEY_PREFIX):
                keys.add(link_key(canonical))
            elif guid:
                keys.add(guid_key(feed_id, guid))
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO item_tombstones (key, pruned_at) VALUES (?, ?)",
            [(key, to_text(now)) for key in keys],
        )
        for table in ("story_bands", "story_topics", "story_features", "receipts"):
            self.db.execute(f"DELETE FROM {table} WHERE item_id IN ({items})", item_ids)
        self.db.execute(f"DELETE FROM items WHERE id IN ({items})", item_ids)
        merged = [
            row[0] for row in self.db.execute(f"SELECT id FROM stories WHERE merged_into IN ({stories})", story_ids)
        ]
        gone = [*story_ids, *merged]
        self.db.execute(f"DELETE FROM outbox WHERE story_id IN ({_marks(gone)})", gone)
        self.db.execute(f"DELETE FROM stories WHERE id IN ({_marks(gone)})", gone)
        return PruneBatch(len(story_ids), len(item_ids), len(keys))
