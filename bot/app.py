"""Composition root: the only place that builds and wires the long-lived objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from bot.clock import Clock, SystemClock
from bot.dbthread import DbThread
from bot.errors import ConfigError
from bot.models import FeedRecord, Summary, Tags
from bot.pipeline.fetch import FetchLimits, build_http_client
from bot.pipeline.normalise import LangidDetector
from bot.pipeline.poll import PollDeps
from bot.pipeline.summarise import Labels, summarise
from bot.settings import Settings, load_feeds
from storage import Store, open_store


class TaggerLike(Protocol):
    """What the pipeline needs of the tagger: tags, and readable labels for them."""

    @property
    def knowledge(self) -> Labels:
        """Readable names of countries and bodies."""
        ...

    def tag(self, title: str, text: str, lang: str | None) -> Tags:
        """Tag one item's text."""
        ...


def load_tagger() -> TaggerLike:
    """The tagger with the bundled knowledge (built once per process: a few hundred ms)."""
    from bot.pipeline.tag import Tagger

    return Tagger.load()


@dataclass
class Runtime:
    """The wired application: settings, clock, store, HTTP client and pipeline dependencies."""

    settings: Settings
    clock: Clock
    store: Store
    db: DbThread
    http: httpx.AsyncClient
    tagger: TaggerLike
    deps: PollDeps
    poll_interval: int = 600
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def labels(self) -> Labels:
        """Readable names for countries and bodies."""
        return self.tagger.knowledge

    def summary(self, story_id: int) -> Summary | None:
        """The Summary of a stored story (call on the database thread)."""
        items = self.store.items.story_items(story_id)
        if not items:
            return None
        representative, source = items[0]
        return summarise(representative, source, self.store.items.story_feed_names(story_id), self.labels)

    def sync_config(self, path: Path) -> tuple[int, int, int]:
        """Load feeds.yaml into the database (config-sourced feeds follow the file)."""
        feeds_file = load_feeds(path)
        self.poll_interval = feeds_file.poll_interval
        return self.store.feeds.sync_config(feeds_file.feed_configs(), self.clock.now())

    def enabled_feeds(self) -> list[FeedRecord]:
        """Feeds that are polled."""
        return self.store.feeds.enabled()

    async def aclose(self) -> None:
        """Release the HTTP client, the database thread and the database."""
        await self.http.aclose()
        self.db.close()
        self.store.close()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    tagger: TaggerLike | None = None,
) -> Runtime:
    """Build every long-lived object from the settings."""
    clock = clock or SystemClock()
    try:
        store = open_store(settings.db)
    except Exception as exc:
        raise ConfigError(f"cannot open the database {settings.db}: {exc}") from exc
    db = DbThread()
    http = build_http_client(
        settings.user_agent, max_connections=max(settings.fetch_concurrency, 1) * 2, transport=transport
    )
    tagger = tagger or load_tagger()
    deps = PollDeps(
        clock=clock,
        http=http,
        store=store,
        db=db,
        limits=FetchLimits(max_body_bytes=settings.max_body_bytes, total_timeout=settings.fetch_timeout),
        tag=tagger.tag,
        detect_language=LangidDetector(),
    )
    return Runtime(settings=settings, clock=clock, store=store, db=db, http=http, tagger=tagger, deps=deps)
