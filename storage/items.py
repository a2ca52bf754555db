"""Items, the links each feed delivered (receipts), stories, and exact-duplicate lookups."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from bot.models import Evidence, Item, StoredItem, Tags
from storage.feeds import from_text, to_text

# Receipts of items without a usable link are keyed by their content instead.
CONTENT_KEY_PREFIX = "urn:content:"


def receipt_key(item: Item) -> str:
    """The per-feed key of a delivered link; items without a usable link are keyed by content."""
    return item.canonical_link or f"{CONTENT_KEY_PREFIX}{item.content_hash}"


def page_key(url: str) -> str:
    """A link without what an http/https or www. flip changes (sites move to https or add www.)."""
    parts = urlsplit(url)
    return f"{parts.netloc.removeprefix('www.')}{parts.path.rstrip('/')}?{parts.query}"


def same_page(link: str, other: str) -> bool:
    """Links to one page, allowing an http/https or www. flip."""
    return link == other or page_key(link) == page_key(other)


def tags_to_columns(tags: Tags) -> tuple[int, str, str, str]:
    """Tags as the four stored columns."""
    return (
        int(tags.relevant),
        json.dumps(list(tags.countries)),
        json.dumps(list(tags.bodies)),
        # vars(), not asdict(): the fields are plain strings and asdict's deep copy is most of the cost.
        json.dumps([vars(evidence) for evidence in tags.evidence], ensure_ascii=False),
    )


def tags_from_columns(relevant: int, countries: str, bodies: str, evidence: str) -> Tags:
    """Stored columns back to Tags."""
    return Tags(
        relevant=bool(relevant),
        countries=tuple(json.loads(countries)),
        bodies=tuple(json.loads(bodies)),
        evidence=tuple(Evidence(**row) for row in json.loads(evidence)),
    )


_ITEM_COLUMNS = (
    "i.id, i.feed_id, i.title, i.link, i.summary, i.published, i.lang, "
    "i.relevant, i.countries, i.bodies, i.evidence, i.story_id"
)


_WITH_FEED_NAME = f"SELECT {_ITEM_COLUMNS}, coalesce(f.name, f.url, '') "


def _with_feed_names(rows: list[tuple[Any, ...]]) -> list[tuple[StoredItem, str]]:
    """Rows selected with ``_WITH_FEED_NAME`` → (item, feed name) pairs."""
    return [(_stored(row[:-1]), row[-1]) for row in rows]


def _stored(row: tuple[Any, ...]) -> StoredItem:
    published = from_text(row[5])
    assert published is not None
    return StoredItem(
        id=row[0],
        feed_id=row[1],
        title=row[2],
        link=row[3],
        summary=row[4],
        published=published,
        lang=row[6],
        tags=tags_from_columns(row[7], row[8], row[9], row[10]),
        story_id=row[11],
    )


class ItemStore:
    """Queries on items, receipts and stories."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def find_exact(self, feed_id: int, item: Item) -> int | None:
        """The stored item this one exactly duplicates: same guid in the feed, same link, same text."""
        if item.guid:
            # A guid identifies an item only with its link: some feeds give every entry the same guid
            # (the site's URL, a constant), and those entries are different articles (both are kept).
            rows = self.db.execute(
                "SELECT item_id, canonical_link FROM receipts WHERE feed_id = ? AND guid = ? LIMIT 20",
                (feed_id, item.guid),
            ).fetchall()
            for item_id, canonical in rows:
                if not item.canonical_link or same_page(canonical, item.canonical_link):
                    return int(item_id)
        if item.canonical_link:
            row = self.db.execute(
                "SELECT item_id FROM receipts WHERE canonical_link = ? LIMIT 1", (item.canonical_link,)
            ).fetchone()
            if row:
                return int(row[0])
        row = self.db.execute("SELECT id FROM items WHERE content_hash = ?", (item.content_hash,)).fetchone()
        return int(row[0]) if row else None

    def add_receipt(self, item_id: int, feed_id: int, item: Item, now: datetime) -> bool:
        """Record that ``feed_id`` delivered this link for ``item_id``; False if already recorded."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO receipts (item_id, feed_id, link, canonical_link, guid, first_seen) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, feed_id, item.link, receipt_key(item), item.guid, to_text(now)),
        )
        return cursor.rowcount > 0

    def new_story(self, now: datetime) -> int:
        """Open a story; its representative item is set when the first item is inserted."""
        cursor = self.db.execute(
            "INSERT INTO stories (first_seen, updated_at) VALUES (?, ?)", (to_text(now), to_text(now))
        )
        return int(cursor.lastrowid or 0)

    def insert(self, feed_id: int, item: Item, story_id: int, now: datetime) -> int:
        """Store a new item in ``story_id`` with its first receipt."""
        cursor = self.db.execute(
            "INSERT INTO items (feed_id, guid, link, canonical_link, title, summary, published, "
            "published_is_fallback, first_seen, lang, content_hash, relevant, countries, bodies, evidence, "
            "story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                feed_id,
                item.guid,
                item.link,
                item.canonical_link or None,
                item.title,
                item.summary,
                to_text(item.published),
                int(item.published_is_fallback),
                to_text(now),
                item.lang,
                item.content_hash,
                *tags_to_columns(item.tags),
                story_id,
            ),
        )
        item_id = int(cursor.lastrowid or 0)
        self.db.execute(
            "UPDATE stories SET representative_item_id = coalesce(representative_item_id, ?), updated_at = ? "
            "WHERE id = ?",
            (item_id, to_text(now), story_id),
        )
        self.add_receipt(item_id, feed_id, item, now)
        return item_id

    def get(self, item_id: int) -> StoredItem | None:
        """One stored item."""
        row = self.db.execute(f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.id = ?", (item_id,)).fetchone()
        return _stored(row) if row else None

    def by_link(self, canonical: str) -> StoredItem | None:
        """The item that a link (any of its receipts) belongs to."""
        row = self.db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM receipts r JOIN items i ON i.id = r.item_id "
            "WHERE r.canonical_link = ? LIMIT 1",
            (canonical,),
        ).fetchone()
        return _stored(row) if row else None

    def story_items(self, story_id: int) -> list[tuple[StoredItem, str]]:
        """The items of a story, oldest first, each with the name of the feed that brought it."""
        rows = self.db.execute(
            _WITH_FEED_NAME + "FROM items i LEFT JOIN feeds f ON f.id = i.feed_id WHERE i.story_id = ? ORDER BY i.id",
            (story_id,),
        ).fetchall()
        return _with_feed_names(rows)

    def story_feed_names(self, story_id: int) -> list[str]:
        """Every feed that delivered a link of this story, in the order they did."""
        rows = self.db.execute(
            "SELECT coalesce(f.name, f.url, '') FROM receipts r JOIN items i ON i.id = r.item_id "
            "LEFT JOIN feeds f ON f.id = r.feed_id WHERE i.story_id = ? ORDER BY r.id",
            (story_id,),
        ).fetchall()
        return list(dict.fromkeys(row[0] for row in rows))

    def recent_stories(self, limit: int, before: str | None = None) -> list[tuple[StoredItem, str]]:
        """Representative items of relevant stories, newest first, with their feed's name."""
        rows = self.db.execute(
            _WITH_FEED_NAME + "FROM stories s "
            "JOIN items i ON i.id = s.representative_item_id LEFT JOIN feeds f ON f.id = i.feed_id "
            "WHERE i.relevant = 1 AND (? IS NULL OR i.published < ?) ORDER BY i.published DESC, i.id DESC LIMIT ?",
            (before, before, limit),
        ).fetchall()
        return _with_feed_names(rows)

    def search(self, words: list[str], limit: int, offset: int) -> list[tuple[StoredItem, str]]:
        """Full-text search (FTS5), newest first; every word must appear (prefix match on the last)."""
        if not words:
            return []
        # Each word is quoted so that user input can never be read as FTS5 query syntax.
        query = " ".join('"' + word.replace('"', '""') + '"' for word in words) + "*"
        rows = self.db.execute(
            _WITH_FEED_NAME + "FROM items_fts "
            "JOIN items i ON i.id = items_fts.rowid LEFT JOIN feeds f ON f.id = i.feed_id "
            "WHERE items_fts MATCH ? ORDER BY i.published DESC, i.id DESC LIMIT ? OFFSET ?",
            (query, limit, offset),
        ).fetchall()
        return _with_feed_names(rows)

    def update_tags(self, item_id: int, tags: Tags) -> None:
        """Replace an item's tags (after the knowledge changed)."""
        self.db.execute(
            "UPDATE items SET relevant = ?, countries = ?, bodies = ?, evidence = ? WHERE id = ?",
            (*tags_to_columns(tags), item_id),
        )

    def iter_all(self) -> Iterator[StoredItem]:
        """Every stored item, oldest first."""
        for row in self.db.execute(f"SELECT {_ITEM_COLUMNS} FROM items i ORDER BY i.id"):
            yield _stored(row)

    def count(self) -> int:
        """How many items are stored."""
        return int(self.db.execute("SELECT count(*) FROM items").fetchone()[0])

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """One row per distinct link received per feed, with the item's tags and story."""
        query = (
            "SELECT r.link, coalesce(f.name, f.url, ''), i.title, i.published, i.lang, i.relevant, "
            "i.countries, i.bodies, i.evidence, i.story_id, i.guid, i.id, i.summary "
            "FROM receipts r JOIN items i ON i.id = r.item_id LEFT JOIN feeds f ON f.id = r.feed_id "
            "ORDER BY r.id"
        )
        for row in self.db.execute(query):
            yield {
                "link": row[0],
                "feed": row[1],
                "title": row[2],
                "published": row[3],
                "lang": row[4],
                "relevant": bool(row[5]),
                "countries": json.loads(row[6]),
                "bodies": json.loads(row[7]),
                "story": row[9],
                "guid": row[10],
                "item": row[11],
                "summary": row[12],
                "evidence": json.loads(row[8]),
            }
