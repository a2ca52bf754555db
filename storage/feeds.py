"""Feeds and their poll state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.models import FeedConfig, FeedRecord


def to_text(when: datetime | None) -> str | None:
    """Store times as ISO 8601 UTC text, which sorts chronologically."""
    return when.isoformat(timespec="seconds") if when else None


def from_text(value: str | None) -> datetime | None:
    """Read a stored time back."""
    return datetime.fromisoformat(value) if value else None


_COLUMNS = (
    "id, url, name, lang, interval_seconds, enabled, source, etag, last_modified, body_hash, last_status, "
    "last_error, bozo_reason, last_polled_at, last_success_at, consecutive_failures, next_poll_at, "
    "disabled_reason, items_total, moved_from"
)


def _record(row: tuple[Any, ...]) -> FeedRecord:
    (fid, url, name, lang, interval, enabled, source, etag, modified, body_hash, status, error, bozo) = row[:13]
    polled, success, failures, next_poll, disabled_reason, items_total, moved_from = row[13:]
    return FeedRecord(
        id=fid,
        url=url,
        name=name,
        lang=lang,
        interval_seconds=interval,
        enabled=bool(enabled),
        source=source,
        etag=etag,
        last_modified=modified,
        body_hash=body_hash,
        last_status=status,
        last_error=error,
        bozo_reason=bozo,
        last_polled_at=from_text(polled),
        last_success_at=from_text(success),
        consecutive_failures=failures,
        next_poll_at=from_text(next_poll),
        disabled_reason=disabled_reason,
        items_total=items_total,
        moved_from=moved_from,
    )


class FeedStore:
    """Queries on the feeds table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _one(self, where: str, params: tuple[Any, ...]) -> FeedRecord | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE {where}", params).fetchone()
        return _record(row) if row else None

    def get(self, feed_id: int) -> FeedRecord | None:
        """The feed with this id."""
        return self._one("id = ?", (feed_id,))

    def by_url(self, url: str) -> FeedRecord | None:
        """The feed with exactly this URL, or the one a permanent redirect moved away from it."""
        return self._one("url = ? OR moved_from = ? ORDER BY url = ? DESC LIMIT 1", (url, url, url))

    def move(self, feed_id: int, new_url: str) -> bool:
        """Follow a permanent redirect; False when another feed already polls ``new_url``."""
        with self.db.atomic():
            if self.db.execute("SELECT 1 FROM feeds WHERE url = ? AND id != ?", (new_url, feed_id)).fetchone():
                return False
            self.db.execute(
                "UPDATE feeds SET moved_from = coalesce(moved_from, url), url = ? WHERE id = ?", (new_url, feed_id)
            )
        return True

    def all(self) -> list[FeedRecord]:
        """Every feed, oldest first."""
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM feeds ORDER BY id").fetchall()
        return [_record(row) for row in rows]

    def enabled(self) -> list[FeedRecord]:
        """Feeds that are polled."""
        return [feed for feed in self.all() if feed.enabled]

    def add(self, feed: FeedConfig, now: datetime, source: str, added_by: str | None = None) -> FeedRecord:
        """Insert a new feed; the caller checks it is not there yet."""
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO feeds (url, name, lang, interval_seconds, enabled, source, added_at, added_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    feed.url,
                    feed.name,
                    feed.lang,
                    feed.interval_seconds,
                    int(feed.enabled),
                    source,
                    to_text(now),
                    added_by,
                ),
            )
        record = self.get(int(cursor.lastrowid or 0))
        assert record is not None
        return record

    def sync_config(self, feeds: list[FeedConfig], now: datetime) -> tuple[int, int, int]:
        """Make the config-sourced feeds match feeds.yaml; return (added, updated, removed).

        Feeds added from chat or the CLI are left alone. Removing a feed keeps its items.
        """
        added = updated = removed = 0
        wanted = {feed.url: feed for feed in feeds}
        with self.db.atomic():
            for feed in feeds:
                current = self.by_url(feed.url)
                if current is None:
                    self.add(feed, now, "config")
                    added += 1
                elif (current.name, current.lang, current.interval_seconds) != (
                    feed.name,
                    feed.lang,
                    feed.interval_seconds,
                ) or (current.source == "config" and current.enabled != feed.enabled and not current.disabled_reason):
                    # A suspended feed stays off until an admin resumes it: a restart must not revive it.
                    follows_config = current.source == "config" and not current.disabled_reason
                    enabled = feed.enabled if follows_config else current.enabled
                    self.db.execute(
                        "UPDATE feeds SET name = ?, lang = ?, interval_seconds = ?, enabled = ? WHERE id = ?",
                        (feed.name, feed.lang, feed.interval_seconds, int(enabled), current.id),
                    )
                    updated += 1
            for current in self.all():
                if current.source == "config" and current.url not in wanted and current.moved_from not in wanted:
                    self.db.execute("DELETE FROM feeds WHERE id = ?", (current.id,))
                    removed += 1
        return added, updated, removed

    def remove(self, feed_id: int) -> None:
        """Delete a feed (its items and receipts stay)."""
        with self.db.atomic():
            self.db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))

    def set_enabled(self, feed_id: int, enabled: bool) -> None:
        """Pause or resume a feed; resuming clears failures and polls it at once."""
        with self.db.atomic():
            if enabled:
                self.db.execute(
                    "UPDATE feeds SET enabled = 1, consecutive_failures = 0, disabled_reason = NULL, "
                    "next_poll_at = NULL WHERE id = ?",
                    (feed_id,),
                )
            else:
                self.db.execute("UPDATE feeds SET enabled = 0 WHERE id = ?", (feed_id,))

    def record_not_modified(self, feed_id: int, now: datetime, status: int, next_poll: datetime) -> None:
        """A 304, or a body identical to the last one: a success with nothing to parse."""
        self.db.execute(
            "UPDATE feeds SET last_status = ?, last_error = NULL, last_polled_at = ?, last_success_at = ?, "
            "consecutive_failures = 0, next_poll_at = ? WHERE id = ?",
            (status, to_text(now), to_text(now), to_text(next_poll), feed_id),
        )

    def record_success(
        self,
        feed_id: int,
        now: datetime,
        *,
        status: int,
        etag: str | None,
        last_modified: str | None,
        body_hash: str,
        bozo_reason: str | None,
        next_poll: datetime,
        new_items: int,
    ) -> None:
        """A fetched and parsed feed."""
        self.db.execute(
            "UPDATE feeds SET last_status = ?, last_error = NULL, bozo_reason = ?, etag = ?, "
            "last_modified = ?, body_hash = ?, last_polled_at = ?, last_success_at = ?, "
            "consecutive_failures = 0, next_poll_at = ?, items_total = items_total + ? WHERE id = ?",
            (
                status,
                bozo_reason,
                etag,
                last_modified,
                body_hash,
                to_text(now),
                to_text(now),
                to_text(next_poll),
                new_items,
                feed_id,
            ),
        )

    def record_failure(
        self,
        feed_id: int,
        now: datetime,
        *,
        error: str,
        status: int | None,
        failures: int,
        next_poll: datetime,
        disable: bool,
    ) -> None:
        """A failed poll; ``disable`` turns the feed off with the reason."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE feeds SET last_status = ?, last_error = ?, last_polled_at = ?, "
                "consecutive_failures = ?, next_poll_at = ? WHERE id = ?",
                (status, error, to_text(now), failures, to_text(next_poll), feed_id),
            )
            if disable:
                self.db.execute(
                    "UPDATE feeds SET enabled = 0, disabled_reason = ? WHERE id = ?",
                    (f"disabled after {failures} failures in a row; last error: {error}", feed_id),
                )
