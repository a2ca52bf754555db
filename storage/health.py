"""The bot's health at a glance: feeds failing or disabled, last successful poll, outbox depth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from storage.feeds import from_text

OUTBOX_STATES = ("pending", "sending", "uncertain", "sent", "dead", "dropped")


@dataclass(frozen=True)
class Health:
    """Numbers shown by ``electionwatch status`` and the admin ``/feeds`` reply."""

    feeds_total: int
    feeds_failing: int
    feeds_disabled: int
    last_success: datetime | None
    outbox: dict[str, int]
    oldest_pending: datetime | None

    def lines(self, now: datetime) -> list[str]:
        """Plain-text lines, one fact each."""

        def when(value: datetime | None) -> str:
            if value is None:
                return "never"
            minutes = max(0, int((now - value).total_seconds() // 60))
            return f"{value:%Y-%m-%d %H:%M} UTC ({minutes} min ago)"

        depth = ", ".join(f"{state} {self.outbox.get(state, 0)}" for state in OUTBOX_STATES)
        return [
            f"feeds: {self.feeds_total} total, {self.feeds_failing} failing, {self.feeds_disabled} disabled or paused",
            f"last successful poll: {when(self.last_success)}",
            f"outbox: {depth}",
            f"oldest pending delivery: {when(self.oldest_pending) if self.oldest_pending else 'none'}",
        ]


def read_health(db: Database) -> Health:
    """Read the health numbers in one pass over small aggregates."""
    total, failing, disabled, last_success = db.execute(
        "SELECT count(*), coalesce(sum(enabled = 1 AND consecutive_failures > 0), 0), "
        "coalesce(sum(enabled = 0), 0), max(last_success_at) FROM feeds"
    ).fetchone()
    outbox = {row[0]: row[1] for row in db.execute("SELECT state, count(*) FROM outbox GROUP BY state")}
    oldest = db.execute(
        "SELECT min(created_at) FROM outbox WHERE state IN ('pending', 'sending', 'uncertain')"
    ).fetchone()[0]
    return Health(
        feeds_total=total,
        feeds_failing=failing,
        feeds_disabled=disabled,
        last_success=from_text(last_success),
        outbox=outbox,
        oldest_pending=from_text(oldest),
    )
