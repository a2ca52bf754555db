"""Composition root: the only place that builds and wires the long-lived objects."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from bot.clock import Clock, SystemClock
from bot.dbthread import DbThread
from bot.errors import ConfigError, FetchError, UserError
from bot.models import CheckedFeed, FeedRecord, Summary, Tags
from bot.pipeline.deliver import ChatSender, RateLimits
from bot.pipeline.fetch import (
    FetchLimits,
    Resolver,
    Validators,
    build_http_client,
    ensure_public_host,
    fetch,
    public_only_transport,
    system_resolver,
)
from bot.pipeline.parse import parse_feed
from bot.pipeline.poll import PollDeps
from bot.pipeline.prepare import Preparer, ProcessPreparer, ThreadPreparer, load_tagger
from bot.pipeline.route import Router
from bot.pipeline.summarise import Labels, summarise
from bot.settings import Settings, load_feeds
from handlers.types import KnowledgeLike, Services
from storage import Store, open_store


class TaggerLike(Protocol):
    """What the pipeline needs of the tagger: tags, and readable labels for them."""

    @property
    def knowledge(self) -> KnowledgeLike:
        """Readable names of countries and bodies."""
        ...

    def tag(self, title: str, text: str, lang: str | None) -> Tags:
        """Tag one item's text."""
        ...


class LazyTagger:
    """Loads the tagger on first use: commands such as ``export`` never pay for building the gazetteers."""

    def __init__(self, loader: Callable[[], TaggerLike]) -> None:
        self._loader = loader
        self._tagger: TaggerLike | None = None
        self._lock = threading.Lock()

    def _get(self) -> TaggerLike:
        with self._lock:
            if self._tagger is None:
                self._tagger = self._loader()
            return self._tagger

    @property
    def knowledge(self) -> KnowledgeLike:
        """The loaded tagger's knowledge."""
        return self._get().knowledge

    def tag(self, title: str, text: str, lang: str | None) -> Tags:
        """Tag with the loaded tagger."""
        return self._get().tag(title, text, lang)


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
    # Feeds from chat are fetched through this client: public addresses only, checked on every hop.
    guarded_http: httpx.AsyncClient | None = None
    resolver: Resolver = system_resolver

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

    def build_services(self, feeds_changed: Callable[[], Awaitable[None]] | None = None) -> Services:
        """What chat commands may use."""

        async def nothing() -> None:
            return None

        return Services(
            store=self.store,
            db=self.db,
            clock=self.clock,
            knowledge=self.tagger.knowledge,
            body_parents=self.tagger.knowledge.body_parents,
            admins=parse_admins(self.settings.admins),
            summary=self.summary,
            check_feed=self.check_feed,
            feeds_changed=feeds_changed or nothing,
        )

    async def check_feed(self, url: str) -> CheckedFeed:
        """Fetch and parse a feed a chat admin wants to add; raise UserError saying what is wrong."""
        try:
            client = self.http
            if not self.settings.allow_private_feeds:
                await ensure_public_host(url, self.resolver)
                client = self.guarded_http or self.http
            fetched = await fetch(client, url, Validators(), self.deps.limits, self.clock.now())
            parsed = await asyncio.to_thread(parse_feed, fetched.body, fetched.headers)
        except FetchError as error:
            raise UserError(f"I could not use that feed: {error.message}.") from None
        return CheckedFeed(parsed.title, fetched.permanent_url or url, fetched.final_url)

    async def aclose(self) -> None:
        """Release the HTTP client, the database thread and the database."""
        await self.http.aclose()
        self.deps.prepare.close()
        if self.guarded_http is not None:
            await self.guarded_http.aclose()
        self.db.close()
        self.store.close()


def parse_admins(text: str) -> frozenset[str]:
    """``telegram:123, slack:U456`` → {"telegram:123", "slack:U456"}."""
    return frozenset(part.strip() for part in text.split(",") if ":" in part)


def prepare_workers(settings: Settings) -> int:
    """Worker processes for parsing and tagging; 0 means a thread of the main process.

    The setting when given (1: a thread). By default one per core but one: the main process needs
    a core of its own for the database thread, which stores every item, and each worker holds its
    own tagger and language model (about 170 MB). A single core gets a thread.
    """
    if settings.prepare_workers == 1:
        return 0
    return settings.prepare_workers or max((os.cpu_count() or 1) - 1, 0)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    tagger: TaggerLike | None = None,
    resolver: Resolver = system_resolver,
    guarded_transport: httpx.AsyncBaseTransport | None = None,
) -> Runtime:
    """Build every long-lived object from the settings.

    ``resolver`` and ``guarded_transport`` replace DNS and the network under the SSRF guard in tests.
    """
    clock = clock or SystemClock()
    try:
        store = open_store(settings.db)
    except Exception as exc:
        raise ConfigError(f"cannot open the database {settings.db}: {exc}") from exc
    checkpointer = store.background_checkpoints()
    db = DbThread(checkpointer)
    http = build_http_client(
        settings.user_agent, max_connections=max(settings.fetch_concurrency, 1) * 2, transport=transport
    )
    guarded_http = build_http_client(
        settings.user_agent,
        transport=guarded_transport or public_only_transport(max(settings.fetch_concurrency, 1) * 2, resolver),
    )
    given = tagger
    # One tagger for the process: the thread preparer, labels and chat commands share it.
    tagger = given or LazyTagger(load_tagger)
    preparer: Preparer
    if given is None and prepare_workers(settings):
        preparer = ProcessPreparer(prepare_workers(settings), load_tagger)
    else:
        preparer = ThreadPreparer(tagger)
    deps = PollDeps(
        clock=clock,
        http=http,
        store=store,
        db=db,
        limits=FetchLimits(max_body_bytes=settings.max_body_bytes, total_timeout=settings.fetch_timeout),
        prepare=preparer,
        guarded_http=None if settings.allow_private_feeds else guarded_http,
        router=Router(store, lambda: tagger.knowledge.body_parents),
    )
    return Runtime(
        settings=settings,
        clock=clock,
        store=store,
        db=db,
        http=http,
        tagger=tagger,
        deps=deps,
        guarded_http=guarded_http,
        resolver=resolver,
    )


class Platform(Protocol):
    """A chat platform the bot runs: started and stopped with the bot; its sender feeds the outbox."""

    name: str

    @property
    def sender(self) -> ChatSender:
        """Posts and edits story messages."""
        ...

    async def start(self) -> None:
        """Connect (fail fast on a bad token) and start receiving commands."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...

    async def tell(self, user_id: str, text: str) -> None:
        """Send a plain-text notice to one user in private (bot admins are told of suspended feeds)."""
        ...


def build_platforms(settings: Settings, services: Services) -> list[Platform]:
    """The chat platforms whose tokens are configured."""
    platforms: list[Platform] = []
    if settings.telegram_bot_token:
        from bot.platforms.telegram import TelegramPlatform

        limits = RateLimits(
            per_chat_interval=settings.telegram_per_chat_interval,
            group_per_minute=settings.telegram_group_per_minute,
            global_per_second=settings.telegram_global_per_second,
        )
        platforms.append(
            TelegramPlatform(settings.telegram_bot_token, services, settings.telegram_api_base_url, limits)
        )
    if settings.slack_bot_token:
        from bot.platforms.slack import SlackPlatform

        # raises ConfigError when SLACK_SIGNING_SECRET is missing in HTTP mode
        platforms.append(
            SlackPlatform(
                services,
                settings.slack_bot_token,
                signing_secret=settings.slack_signing_secret,
                app_token=settings.slack_app_token,
                port=settings.slack_port,
                api_url=settings.slack_api_url,
            )
        )
    return platforms


def platform_rate_limits(platforms: list[Platform]) -> dict[str, RateLimits]:
    """The flood limits a platform declares (``rate_limits``); the others get the outbox defaults."""
    declared = {platform.name: getattr(platform, "rate_limits", None) for platform in platforms}
    return {name: limits for name, limits in declared.items() if isinstance(limits, RateLimits)}
