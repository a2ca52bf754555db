"""The long-running bot: scheduler + pipeline + chat platforms + outbox sender, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from bot.app import Platform, Runtime, build_platforms, parse_admins, platform_rate_limits
from bot.errors import ConfigError
from bot.models import PollReport, Summary
from bot.notices import AdminNotifier, suspension_notice
from bot.pipeline.deliver import OutboxWorker, RateLimits
from bot.pipeline.poll import poll_feed
from bot.retention import prune
from bot.scheduler import FeedScheduler
from bot.settings import Settings
from handlers.types import Services

log = logging.getLogger(__name__)

StorySink = Callable[[Summary], None]
# How often the feed list is re-read, so feeds added or paused from another process take effect.
RESYNC_SECONDS = 30
PRUNE_SECONDS = 24 * 3600
# The first pruning waits until the start-up polls are done with the database.
PRUNE_FIRST_AFTER = 600.0


async def relevant_summaries(runtime: Runtime, report: PollReport) -> list[Summary]:
    """Summaries of the relevant stories a poll created."""

    def build() -> list[Summary]:
        summaries = []
        for story_id in report.new_story_ids:
            summary = runtime.summary(story_id)
            items = runtime.store.items.story_items(story_id)
            if summary and items and items[0][0].tags.relevant:
                summaries.append(summary)
        return summaries

    return await runtime.db(build)


class Bot:
    """Polls every enabled feed on its schedule; new stories go to the outbox and to the sinks."""

    def __init__(self, runtime: Runtime, config: Path | None, sinks: list[StorySink]) -> None:
        self.runtime = runtime
        self.config = config
        self.sinks = sinks
        self.scheduler = FeedScheduler(self.poll_one)
        self.on_new_deliveries: Callable[[], None] = lambda: None
        self.admins = AdminNotifier((), ())
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def poll_one(self, feed_id: int) -> None:
        """The job of one feed, run as a task the shutdown waits for."""
        if self._stopping:
            return
        task = asyncio.create_task(self._poll_one(feed_id))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await asyncio.shield(task)

    async def _poll_one(self, feed_id: int) -> None:
        """Skip while backing off, else poll and announce new stories."""
        runtime = self.runtime
        feed = await runtime.db(runtime.store.feeds.get, feed_id)
        if feed is None or not feed.enabled:
            return
        if feed.consecutive_failures and feed.next_poll_at and feed.next_poll_at > runtime.clock.now():
            return
        try:
            report = await poll_feed(feed, runtime.deps)
            if report.new_story_ids or report.updated_story_ids:
                self.on_new_deliveries()
            if report.disabled:
                # The failure that disables a feed happens once: a suspended feed is not polled again.
                await self.admins.tell(suspension_notice(feed, report))
            if self.sinks:
                for summary in await relevant_summaries(runtime, report):
                    for sink in self.sinks:
                        sink(summary)
        except Exception:  # one feed's bug never stops the scheduler
            log.exception("poll of feed %s failed", feed.url)
            return
        if report.error:
            log.warning("%s: %s", feed.label, report.error)
        elif report.new_items:
            log.info("%s: %d new items", feed.label, report.new_items)

    async def prune(self) -> None:
        """Daily retention run; a failure is logged and retried the next day."""
        runtime = self.runtime
        try:
            totals = await prune(runtime.store, runtime.db, runtime.clock, runtime.settings.retention_days)
        except Exception:
            log.exception("pruning old stories failed")
            return
        if totals.stories:
            log.info("pruned %d old stories (%d items); their keys are kept", totals.stories, totals.items)

    async def resync(self) -> None:
        """Follow feed changes made in the database (chat, CLI) without a restart."""
        self.scheduler.sync(await self.runtime.db(self.runtime.enabled_feeds))

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set."""
        if self.config is not None:
            await self.runtime.db(self.runtime.sync_config, self.config)
        await self.resync()
        self.scheduler.add_periodic(self.resync, RESYNC_SECONDS, "resync-feeds")
        if self.runtime.settings.retention_days:
            self.scheduler.add_periodic(self.prune, PRUNE_SECONDS, "prune-old-stories", first_after=PRUNE_FIRST_AFTER)
        self.scheduler.start()
        try:
            await stop.wait()
        finally:
            self._stopping = True
            self.scheduler.shutdown()
            # In-flight polls finish (each is one transaction), so a stop never leaves half a poll behind.
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set ``stop`` so in-flight work can finish."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def serve(
    runtime: Runtime,
    config: Path | None,
    stop: asyncio.Event,
    console: StorySink | None = None,
    platforms: list[Platform] | None = None,
    rate_limits: dict[str, RateLimits] | None = None,
    platform_factory: Callable[[Settings, Services], list[Platform]] = build_platforms,
) -> None:
    """Run the bot with its platforms and outbox worker until ``stop`` is set."""
    bot = Bot(runtime, config, [])
    services = runtime.build_services(feeds_changed=bot.resync)
    chosen = platform_factory(runtime.settings, services) if platforms is None else platforms
    if not chosen and console is not None:
        bot.sinks.append(console)
    started: list[Platform] = []
    worker: OutboxWorker | None = None
    worker_task: asyncio.Task[None] | None = None
    try:
        for platform in chosen:
            try:
                await platform.start()
            except Exception as error:
                with contextlib.suppress(Exception):
                    await platform.stop()  # release what a half-done start opened
                raise ConfigError(f"{platform.name} could not start: {error}") from error
            started.append(platform)
            log.info("%s connected", platform.name)
        bot.admins = AdminNotifier(parse_admins(runtime.settings.admins), started)
        if started:
            worker = OutboxWorker(
                runtime.store,
                runtime.db,
                runtime.clock,
                {p.name: p.sender for p in started},
                runtime.summary,
                limits={**platform_rate_limits(started), **(rate_limits or {})},
            )
            bot.on_new_deliveries = worker.wake
            worker_task = asyncio.create_task(worker.run(stop))
        await bot.run(stop)
    finally:
        if worker_task is not None:
            await worker_task
        for platform in reversed(started):
            with contextlib.suppress(Exception):
                await platform.stop()


async def run_forever(runtime: Runtime, config: Path | None, console: StorySink) -> None:
    """Entry point of ``electionwatch run``."""
    stop = asyncio.Event()
    install_stop_signals(stop)
    await serve(runtime, config, stop, console)
