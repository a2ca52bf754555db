"""APScheduler 3.x wiring: one job per enabled feed, kept in step with the database.

APScheduler is untyped; it stays inside this module.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import undefined

from bot.models import FeedRecord

log = logging.getLogger(__name__)

FeedJob = Callable[[int], Awaitable[None]]
# Jitter spreads feeds that share an interval so they do not all fire in the same second.
MAX_JITTER_SECONDS = 60


def job_id(feed_id: int) -> str:
    """The scheduler job id of a feed."""
    return f"feed:{feed_id}"


class FeedScheduler:
    """Keeps one interval job per enabled feed; a cycle longer than the interval never stacks."""

    def __init__(self, run_feed: FeedJob, scheduler: Any | None = None) -> None:
        self.run_feed = run_feed
        self.scheduler = scheduler or AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 300},
        )
        self._intervals: dict[int, int] = {}

    def sync(self, feeds: list[FeedRecord]) -> None:
        """Add, reschedule and remove jobs so that they match the enabled feeds."""
        wanted = {feed.id: feed for feed in feeds if feed.enabled}
        for feed_id in list(self._intervals):
            if feed_id not in wanted:
                self.scheduler.remove_job(job_id(feed_id))
                del self._intervals[feed_id]
        for feed in wanted.values():
            if self._intervals.get(feed.id) == feed.interval_seconds:
                continue
            trigger = IntervalTrigger(
                seconds=feed.interval_seconds,
                jitter=min(MAX_JITTER_SECONDS, feed.interval_seconds // 10),
                timezone="UTC",
            )
            # APScheduler fires on the wall clock, so its times come from it too (not the injected Clock).
            wall_now = datetime.now(UTC)
            first_run = wall_now if feed.id not in self._intervals else None
            self.scheduler.add_job(
                self.run_feed,
                trigger,
                args=[feed.id],
                id=job_id(feed.id),
                name=feed.label,
                replace_existing=True,
                next_run_time=first_run or (wall_now + timedelta(seconds=feed.interval_seconds)),
            )
            self._intervals[feed.id] = feed.interval_seconds

    def add_periodic(
        self, fn: Callable[[], Awaitable[None]], seconds: int, name: str, first_after: float | None = None
    ) -> None:
        """A housekeeping job (e.g. re-reading the feed list) every ``seconds``.

        ``first_after`` runs it once that many seconds after start too: a bot restarted more often than
        the period would otherwise never run it.
        """
        first_run = undefined if first_after is None else datetime.now(UTC) + timedelta(seconds=first_after)
        trigger = IntervalTrigger(seconds=seconds, timezone="UTC")
        self.scheduler.add_job(fn, trigger, id=name, name=name, next_run_time=first_run)

    def job_ids(self) -> set[str]:
        """Ids of the scheduled jobs."""
        return {job.id for job in self.scheduler.get_jobs()}

    def start(self) -> None:
        """Start firing jobs (needs a running event loop)."""
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop firing jobs."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
