import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import Runtime
from bot.clock import FrozenClock
from bot.models import FeedConfig, Summary
from bot.runner import Bot
from bot.scheduler import FeedScheduler, job_id
from tests.fakes.feed_server import FeedServer, rss


def record(runtime: Runtime, url: str, interval: int = 600) -> int:
    return runtime.store.feeds.add(FeedConfig(url, None, None, interval), runtime.clock.now(), "test").id


async def noop(feed_id: int) -> None:
    return None


async def test_jobs_follow_feed_changes(runtime: Runtime, clock: FrozenClock) -> None:
    scheduler = FeedScheduler(noop)
    first = record(runtime, "https://a.example/rss")
    second = record(runtime, "https://b.example/rss", interval=3600)
    scheduler.sync(runtime.store.feeds.all())
    assert scheduler.job_ids() == {job_id(first), job_id(second)}
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    assert jobs[job_id(first)].trigger.interval == timedelta(seconds=600)
    assert jobs[job_id(second)].trigger.interval == timedelta(seconds=3600)
    assert scheduler.scheduler._job_defaults["max_instances"] == 1
    runtime.store.feeds.set_enabled(second, False)
    scheduler.sync(runtime.store.feeds.all())
    assert scheduler.job_ids() == {job_id(first)}
    runtime.store.feeds.remove(first)
    scheduler.sync(runtime.store.feeds.all())
    assert scheduler.job_ids() == set()


async def test_bot_polls_announces_and_skips_while_backing_off(
    runtime: Runtime, feed_server: FeedServer, tmp_path: Path
) -> None:
    items = [{"title": "Election commission opens registration in Kazakhstan", "link": "https://n.example/1"}]
    feed_server.add("/ok", body=rss(items))
    feed_server.add("/down", status=500)
    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - url: {feed_server.url('/ok')}\n  - url: {feed_server.url('/down')}\n")
    shown: list[Summary] = []
    bot = Bot(runtime, config, [shown.append])
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    for _ in range(200):
        if feed_server.hits.get("/ok") and feed_server.hits.get("/down") and shown:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert [s.title for s in shown] == ["Election commission opens registration in Kazakhstan"]
    assert shown[0].countries == ("🇰🇿 Kazakhstan",)
    down = runtime.store.feeds.by_url(feed_server.url("/down"))
    assert down is not None
    assert down.consecutive_failures == 1
    await bot.poll_one(down.id)
    assert feed_server.hits["/down"] == 1, "a feed backing off is not polled before its time"


async def test_housekeeping_can_run_soon_after_start_then_periodically() -> None:
    """A bot restarted more often than daily still prunes: the first run comes minutes after start."""
    scheduler = FeedScheduler(noop)
    scheduler.add_periodic(noop_housekeeping, 86_400, "daily", first_after=600)
    scheduler.add_periodic(noop_housekeeping, 30, "often")
    scheduler.start()
    try:
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        now = datetime.now(UTC)
        assert timedelta(seconds=590) < jobs["daily"].next_run_time - now <= timedelta(seconds=600)
        assert jobs["daily"].trigger.interval == timedelta(days=1)
        assert jobs["often"].next_run_time - now <= timedelta(seconds=30)
    finally:
        scheduler.shutdown()


async def noop_housekeeping() -> None:
    return None
