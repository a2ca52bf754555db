"""Chats and their subscriptions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.models import ChatRef, Filter, Subscription, Term
from storage.feeds import to_text


@dataclass(frozen=True)
class ChatRecord:
    """A chat as stored."""

    id: int
    chat: ChatRef
    title: str | None
    is_group: bool
    active: bool
    inactive_reason: str | None


def _chat(row: tuple[Any, ...]) -> ChatRecord:
    return ChatRecord(
        id=row[0],
        chat=ChatRef(row[1], row[2], row[3] or None),
        title=row[4],
        is_group=bool(row[5]),
        active=bool(row[6]),
        inactive_reason=row[7],
    )


def _filter(terms_json: str) -> Filter:
    return Filter(tuple(Term(**term) for term in json.loads(terms_json)))


class SubscriptionStore:
    """Queries on chats and subscriptions. ``version`` grows with every change, so caches can follow."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.version = 0

    def chat(self, chat: ChatRef) -> ChatRecord | None:
        """The stored chat, if any."""
        row = self.db.execute(
            "SELECT id, platform, chat_id, thread_id, title, is_group, active, inactive_reason FROM chats "
            "WHERE platform = ? AND chat_id = ? AND thread_id = ?",
            (chat.platform, chat.chat_id, chat.thread_id or ""),
        ).fetchone()
        return _chat(row) if row else None

    def chat_by_id(self, chat_row: int) -> ChatRecord | None:
        """The stored chat with this row id."""
        row = self.db.execute(
            "SELECT id, platform, chat_id, thread_id, title, is_group, active, inactive_reason FROM chats WHERE id = ?",
            (chat_row,),
        ).fetchone()
        return _chat(row) if row else None

    def ensure_chat(self, chat: ChatRef, now: datetime, title: str | None, is_group: bool) -> ChatRecord:
        """Find or create the chat; a chat that talks to the bot again is active again."""
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO chats (platform, chat_id, thread_id, title, is_group, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, chat_id, thread_id) DO UPDATE SET "
                "title = coalesce(excluded.title, title), active = 1, inactive_reason = NULL",
                (chat.platform, chat.chat_id, chat.thread_id or "", title, int(is_group), to_text(now)),
            )
        record = self.chat(chat)
        assert record is not None
        self.version += 1
        return record

    def add(self, chat_row: int, filter_: Filter, now: datetime, created_by: str | None) -> bool:
        """Store a filter for the chat; False when the chat already has the same one."""
        terms = json.dumps([term.__dict__ for term in filter_.terms], ensure_ascii=False)
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO subscriptions (chat_row, filter, terms, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (chat_row, filter_.canonical, terms, to_text(now), created_by),
            )
        self.version += 1
        return cursor.rowcount > 0

    def for_chat(self, chat_row: int) -> list[Subscription]:
        """The chat's filters in the order they were added."""
        record = self.chat_by_id(chat_row)
        if record is None:
            return []
        rows = self.db.execute(
            "SELECT id, terms FROM subscriptions WHERE chat_row = ? ORDER BY id", (chat_row,)
        ).fetchall()
        return [Subscription(row[0], chat_row, record.chat, _filter(row[1])) for row in rows]

    def remove(self, subscription_ids: list[int]) -> int:
        """Delete subscriptions; returns how many were deleted."""
        with self.db.atomic():
            count = 0
            for subscription_id in subscription_ids:
                count += self.db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,)).rowcount
        self.version += 1
        return count

    def count_for_chat(self, chat_row: int) -> int:
        """How many filters the chat has."""
        return int(self.db.execute("SELECT count(*) FROM subscriptions WHERE chat_row = ?", (chat_row,)).fetchone()[0])

    def active(self) -> list[Subscription]:
        """Every subscription of an active chat (used to build the matching index)."""
        rows = self.db.execute(
            "SELECT s.id, s.chat_row, c.platform, c.chat_id, c.thread_id, s.terms FROM subscriptions s "
            "JOIN chats c ON c.id = s.chat_row WHERE c.active = 1 ORDER BY s.id"
        ).fetchall()
        return [Subscription(row[0], row[1], ChatRef(row[2], row[3], row[4] or None), _filter(row[5])) for row in rows]

    def deactivate(self, chat_row: int, reason: str) -> None:
        """Stop delivering to a chat (blocked, removed, archived)."""
        with self.db.atomic():
            self.db.execute("UPDATE chats SET active = 0, inactive_reason = ? WHERE id = ?", (reason, chat_row))
        self.version += 1

    def migrate(self, chat_row: int, new_chat_id: str) -> None:
        """Move a chat (with its subscriptions and outbox rows) to its new id."""
        with self.db.atomic():
            existing = self.db.execute(
                "SELECT c2.id FROM chats c1 JOIN chats c2 ON c2.platform = c1.platform AND c2.chat_id = ? "
                "AND c2.thread_id = c1.thread_id WHERE c1.id = ?",
                (new_chat_id, chat_row),
            ).fetchone()
            if existing:
                # The new id already talked to the bot: fold the old chat into it.
                target = existing[0]
                self.db.execute(
                    "UPDATE OR IGNORE subscriptions SET chat_row = ? WHERE chat_row = ?", (target, chat_row)
                )
                self.db.execute("UPDATE OR IGNORE outbox SET chat_row = ? WHERE chat_row = ?", (target, chat_row))
                self.db.execute("DELETE FROM chats WHERE id = ?", (chat_row,))
            else:
                self.db.execute("UPDATE chats SET chat_id = ? WHERE id = ?", (new_chat_id, chat_row))
        self.version += 1
