"""The delivery outbox: one row per (story, chat), moved through its states by the sender.

pending → sending (claimed, committed before the send) → sent | pending (retry later) | dead | dropped.
A row found in ``sending`` at start-up was in flight during a crash: it becomes ``uncertain``. Before it
is sent once more, the platform is asked whether the message arrived (Slack can tell, from the message
metadata; Telegram cannot); when that is unknown it is resent (at-least-once: a rare duplicate beats a
missed story).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.models import ChatRef
from storage.feeds import from_text, to_text


@dataclass(frozen=True)
class OutboxRow:
    """A delivery to make (or an edit of a sent message)."""

    id: int
    story_id: int
    chat_row: int
    chat: ChatRef
    is_group: bool
    state: str
    attempts: int
    message_id: str | None
    plain: bool
    needs_edit: bool
    # When the last attempt started (the row's creation before the first): an in-doubt message, if it
    # arrived, was posted after this.
    claimed_at: datetime


_SELECT = (
    "SELECT o.id, o.story_id, o.chat_row, c.platform, c.chat_id, c.thread_id, c.is_group, o.state, o.attempts, "
    "o.message_id, o.plain, o.needs_edit, coalesce(o.claimed_at, o.created_at) FROM outbox o "
    "JOIN chats c ON c.id = o.chat_row "
)


def _row(row: tuple[Any, ...]) -> OutboxRow:
    return OutboxRow(
        id=row[0],
        story_id=row[1],
        chat_row=row[2],
        chat=ChatRef(row[3], row[4], row[5] or None),
        is_group=bool(row[6]),
        state=row[7],
        attempts=row[8],
        message_id=row[9],
        plain=bool(row[10]),
        needs_edit=bool(row[11]),
        claimed_at=datetime.fromisoformat(row[12]),
    )


class OutboxStore:
    """Queries on the outbox."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue(self, story_id: int, chat_rows: list[int], now: datetime) -> int:
        """Add a delivery per chat (idempotent); runs inside the ingest transaction."""
        count = 0
        for chat_row in chat_rows:
            count += self.db.execute(
                "INSERT OR IGNORE INTO outbox (story_id, chat_row, next_attempt_at, created_at) VALUES (?, ?, ?, ?)",
                (story_id, chat_row, to_text(now), to_text(now)),
            ).rowcount
        return count

    def request_edits(self, story_id: int) -> int:
        """A story got another source: sent messages are edited to show it."""
        return self.db.execute(
            "UPDATE outbox SET needs_edit = 1 WHERE story_id = ? AND state = 'sent'", (story_id,)
        ).rowcount

    def due(self, now: datetime, limit: int) -> list[OutboxRow]:
        """Deliveries ready to be sent, oldest first, for active chats."""
        rows = self.db.execute(
            _SELECT + "WHERE o.state IN ('pending', 'uncertain') AND o.next_attempt_at <= ? AND c.active = 1 "
            "ORDER BY o.id LIMIT ?",
            (to_text(now), limit),
        ).fetchall()
        return [_row(row) for row in rows]

    def edits_due(self, limit: int) -> list[OutboxRow]:
        """Sent messages that need an edit."""
        rows = self.db.execute(
            _SELECT + "WHERE o.needs_edit = 1 AND o.state = 'sent' AND c.active = 1 ORDER BY o.id LIMIT ?",
            (limit,),
        ).fetchall()
        return [_row(row) for row in rows]

    def claim(self, row_id: int, now: datetime) -> bool:
        """Compare-and-set to ``sending``, committed before the network call; False if someone else has it."""
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE outbox SET state = 'sending', claimed_at = ?, attempts = attempts + 1 "
                "WHERE id = ? AND state IN ('pending', 'uncertain')",
                (to_text(now), row_id),
            )
        return cursor.rowcount == 1

    def mark_sent(self, row_id: int, message_id: str, now: datetime, *, needs_edit: bool = False) -> None:
        """The platform accepted the message (``needs_edit``: it may show an older version of the story)."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, last_error = NULL, needs_edit = ? "
                "WHERE id = ?",
                (message_id, to_text(now), int(needs_edit), row_id),
            )

    def mark_edited(self, row_id: int) -> None:
        """The sent message now shows every source."""
        with self.db.atomic():
            self.db.execute("UPDATE outbox SET needs_edit = 0 WHERE id = ?", (row_id,))

    def retry(
        self,
        row_id: int,
        at: datetime,
        error: str,
        *,
        plain: bool = False,
        count_attempt: bool = True,
        state: str = "pending",
    ) -> None:
        """Back to pending (or ``uncertain``: it may have been delivered), to be tried again at ``at``."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE outbox SET state = ?, next_attempt_at = ?, last_error = ?, "
                "plain = max(plain, ?), attempts = attempts - ? WHERE id = ?",
                (state, to_text(at), error, int(plain), 0 if count_attempt else 1, row_id),
            )

    def finish(self, row_id: int, state: str, error: str) -> None:
        """A final state: ``dead`` (gave up) or ``dropped`` (the chat is gone)."""
        with self.db.atomic():
            self.db.execute("UPDATE outbox SET state = ?, last_error = ? WHERE id = ?", (state, error, row_id))

    def recover_in_flight(self) -> int:
        """At start-up: rows left in ``sending`` by a crash become ``uncertain`` and are sent once more."""
        with self.db.atomic():
            return self.db.execute("UPDATE outbox SET state = 'uncertain' WHERE state = 'sending'").rowcount

    def drop_for_chat(self, chat_row: int, reason: str) -> None:
        """A chat is gone: its pending deliveries will never be sent."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE outbox SET state = 'dropped', last_error = ? WHERE chat_row = ? "
                "AND state IN ('pending', 'uncertain', 'sending')",
                (reason, chat_row),
            )

    def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        return {row[0]: row[1] for row in self.db.execute("SELECT state, count(*) FROM outbox GROUP BY state")}

    def oldest_pending(self) -> datetime | None:
        """When the oldest undelivered row was created."""
        row = self.db.execute(
            "SELECT min(created_at) FROM outbox WHERE state IN ('pending', 'sending', 'uncertain')"
        ).fetchone()
        return from_text(row[0]) if row and row[0] else None

    def message_for(self, story_id: int, chat_row: int) -> str | None:
        """The id of the message that carried a story to a chat."""
        row = self.db.execute(
            "SELECT message_id FROM outbox WHERE story_id = ? AND chat_row = ?", (story_id, chat_row)
        ).fetchone()
        return row[0] if row else None
