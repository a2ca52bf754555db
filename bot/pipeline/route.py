"""Routing: new stories → outbox rows for every matching chat; stories with new sources → message edits.

Runs inside the ingest transaction, so a story and its deliveries are committed together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from bot.pipeline.match import SubscriptionIndex, story_facts
from storage import Store


class Router:
    """Keeps the subscription index in step with the store and writes outbox rows."""

    def __init__(self, store: Store, body_parents: Callable[[], Mapping[str, str | None]]) -> None:
        self.store = store
        self.body_parents = body_parents
        self._index: SubscriptionIndex | None = None
        self._version = -1

    def index(self) -> SubscriptionIndex:
        """The matching index, rebuilt only after subscriptions changed."""
        version = self.store.subscriptions.version
        if self._index is None or version != self._version:
            self._index = SubscriptionIndex(self.store.subscriptions.active())
            self._version = version
        return self._index

    def route(self, new_story_ids: Iterable[int], updated_story_ids: Iterable[int], now: datetime) -> int:
        """Queue deliveries of new stories and edits of updated ones; returns the deliveries queued."""
        index = self.index()
        queued = 0
        if not index.size:
            new_story_ids = ()
        for story_id in new_story_ids:
            items = self.store.items.story_items(story_id)
            if not items:
                continue
            item = items[0][0]
            facts = story_facts(
                item.tags.relevant,
                item.tags.countries,
                item.tags.bodies,
                f"{item.title}\n{item.summary}",
                self.body_parents(),
            )
            chats = index.match(facts)
            if chats:
                queued += self.store.outbox.enqueue(story_id, chats, now)
        for story_id in updated_story_ids:
            self.store.outbox.request_edits(story_id)
        return queued
