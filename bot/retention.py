"""Retention: stories untouched for ``retention_days`` are pruned in small batches; their keys stay.

Each batch is its own short transaction on the database thread, so polls and chat commands wait at
most one batch for the write lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.dbthread import DbThread
from storage import Store
from storage.prune import PruneBatch

PRUNE_BATCH_STORIES = 500


@dataclass
class PruneTotals:
    """What a whole pruning run removed."""

    stories: int = 0
    items: int = 0
    tombstones: int = 0

    def add(self, batch: PruneBatch) -> None:
        """Count one batch."""
        self.stories += batch.stories
        self.items += batch.items
        self.tombstones += batch.tombstones


def _one_batch(store: Store, clock: Clock, keep_days: int, limit: int) -> PruneBatch:
    now = clock.now()
    with store.transaction():
        return store.prune.prune_batch(now - timedelta(days=keep_days), now, limit)


async def prune(
    store: Store,
    db: DbThread,
    clock: Clock,
    keep_days: int,
    *,
    batch_stories: int = PRUNE_BATCH_STORIES,
    on_batch: Callable[[PruneTotals], None] | None = None,
) -> PruneTotals:
    """Remove every story last updated more than ``keep_days`` ago that has nothing left to deliver."""
    totals = PruneTotals()
    while True:
        batch = await db(_one_batch, store, clock, keep_days, batch_stories)
        if not batch.stories:
            return totals
        totals.add(batch)
        if on_batch is not None:
            on_batch(totals)
