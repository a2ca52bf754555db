"""Finding stored stories for commands: which recent stories a chat's filters match."""

from __future__ import annotations

from bot.models import Filter, StoredItem, Summary
from bot.pipeline.match import StoryFacts, filter_matches, story_facts
from handlers.types import Services

PAGE_SIZE = 10
# /latest looks this far back; older stories are reachable with /search.
SCAN_LIMIT = 3000
_BATCH = 300


def facts_of(item: StoredItem, services: Services) -> StoryFacts:
    """What filters test about a stored item."""
    tags = item.tags
    return story_facts(
        tags.relevant, tags.countries, tags.bodies, f"{item.title}\n{item.summary}", services.body_parents
    )


def matching_story_ids(services: Services, filters: list[Filter], wanted: int) -> list[int]:
    """Newest relevant stories matching any filter, at most ``wanted`` (runs on the database thread)."""
    found: list[int] = []
    before: str | None = None
    scanned = 0
    while scanned < SCAN_LIMIT and len(found) < wanted:
        batch = services.store.items.recent_stories(_BATCH, before)
        if not batch:
            break
        for item, _ in batch:
            facts = facts_of(item, services)
            if item.story_id is not None and any(filter_matches(f, facts) for f in filters):
                found.append(item.story_id)
                if len(found) >= wanted:
                    break
        scanned += len(batch)
        before = batch[-1][0].published.isoformat(timespec="seconds")
    return found


def summaries(services: Services, story_ids: list[int]) -> tuple[Summary, ...]:
    """Summaries of stories, skipping any that vanished (runs on the database thread)."""
    built = (services.summary(story_id) for story_id in story_ids)
    return tuple(summary for summary in built if summary is not None)
