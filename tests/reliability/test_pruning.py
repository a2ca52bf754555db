"""Row 34: pruning removes old stories but keeps their items' keys (tombstones), so nothing comes back as new."""

from __future__ import annotations

from bot.app import Runtime
from bot.clock import FrozenClock
from bot.models import ChatRef
from bot.pipeline.poll import poll_feed
from bot.retention import prune
from handlers import dispatch
from handlers.types import Command
from tests.fakes.feed_server import FeedServer, rss
from tests.pipeline.test_poll import add_feed, fresh

CHAT = ChatRef("telegram", "9", None)
DAY = 86_400.0


def articles(prefix: str, count: int) -> list[dict[str, str]]:
    return [
        {
            "title": f"{prefix} election report {n}",
            "link": f"https://n.example/{prefix}/{n}",
            "guid": f"{prefix}-{n}",
            "description": f"Observers describe polling day, part {n} of the {prefix} series.",
        }
        for n in range(count)
    ]


def deliver_all(runtime: Runtime) -> None:
    now = runtime.clock.now()
    for row in runtime.store.outbox.due(now, 100):
        assert runtime.store.outbox.claim(row.id, now)
        runtime.store.outbox.mark_sent(row.id, "m1", now)


async def test_row_34_old_items_listed_again_after_pruning_are_not_new(
    runtime: Runtime, clock: FrozenClock, feed_server: FeedServer
) -> None:
    """Row 34: items pruned a year later and listed again (another order, another feed) are not stored or sent."""
    await dispatch(Command("subscribe", "all", CHAT, "9"), runtime.build_services())
    old = articles("old", 3)
    url = feed_server.add("/wire.xml", body=rss(old))
    feed = await add_feed(runtime, url)
    assert (await poll_feed(feed, runtime.deps)).new_items == 3
    deliver_all(runtime)
    clock.advance(400 * DAY)

    totals = await prune(runtime.store, runtime.db, runtime.clock, keep_days=365)
    assert (totals.stories, totals.items) == (3, 3)
    assert runtime.store.items.count() == 0
    assert runtime.store.items.search(["election"], 10, 0) == []
    assert runtime.store.outbox.counts() == {}

    # The feed re-lists the old items in another order next to a new one: only the new one is new.
    feed_server.add("/wire.xml", body=rss([articles("new", 1)[0], *reversed(old)]))
    report = await poll_feed(await fresh(runtime, feed), runtime.deps)
    assert (report.new_items, report.duplicates) == (1, 3)
    # Another outlet carrying one of the pruned links is recognised too.
    other = await add_feed(runtime, feed_server.add("/other.xml", body=rss([old[1]])))
    assert (await poll_feed(other, runtime.deps)).new_items == 0
    assert [row.story_id for row in runtime.store.outbox.due(runtime.clock.now(), 100)] == list(report.new_story_ids)


async def test_row_34_recent_or_undelivered_stories_are_kept(
    runtime: Runtime, clock: FrozenClock, feed_server: FeedServer
) -> None:
    """Row 34: only stories untouched past the cutoff and with nothing left to deliver are pruned."""
    await dispatch(Command("subscribe", "all", CHAT, "9"), runtime.build_services())
    feed = await add_feed(runtime, feed_server.add("/a.xml", body=rss(articles("a", 2))))
    await poll_feed(feed, runtime.deps)  # two stories, still pending delivery
    clock.advance(400 * DAY)
    recent = await add_feed(runtime, feed_server.add("/b.xml", body=rss(articles("b", 1))))
    await poll_feed(recent, runtime.deps)
    deliver_all(runtime)
    stored = runtime.store.items.count()
    clock.advance(1 * DAY)
    # Every row is sent now, but the "b" story is a day old: only the two "a" stories go.
    assert (await prune(runtime.store, runtime.db, runtime.clock, keep_days=30)).stories == 2
    assert runtime.store.items.count() == stored - 2


async def test_row_34_pending_delivery_blocks_pruning(
    runtime: Runtime, clock: FrozenClock, feed_server: FeedServer
) -> None:
    """Row 34: a story whose delivery is still pending is never pruned, however old."""
    await dispatch(Command("subscribe", "all", CHAT, "9"), runtime.build_services())
    feed = await add_feed(runtime, feed_server.add("/a.xml", body=rss(articles("a", 2))))
    await poll_feed(feed, runtime.deps)
    clock.advance(400 * DAY)
    totals = await prune(runtime.store, runtime.db, runtime.clock, keep_days=30, batch_stories=1)
    assert totals.stories == 0
    assert runtime.store.items.count() == 2


async def test_row_34_a_reused_guid_does_not_hide_new_articles_after_pruning(
    runtime: Runtime, clock: FrozenClock, feed_server: FeedServer
) -> None:
    """Rows 31 and 34: a feed giving every entry one guid still delivers new articles after pruning."""
    first = {**articles("cec", 1)[0], "guid": "https://cec.example/"}
    url = feed_server.add("/cec.xml", body=rss([first]))
    feed = await add_feed(runtime, url)
    assert (await poll_feed(feed, runtime.deps)).new_items == 1
    clock.advance(400 * DAY)
    assert (await prune(runtime.store, runtime.db, runtime.clock, keep_days=365)).items == 1
    second = {**articles("cec-next", 1)[0], "guid": "https://cec.example/"}
    # The old entry listed again at https://www. is still known; the new one is new.
    flipped = {**first, "link": first["link"].replace("https://", "https://www.")}
    feed_server.add("/cec.xml", body=rss([second, flipped]))
    report = await poll_feed(await fresh(runtime, feed), runtime.deps)
    assert (report.new_items, report.duplicates) == (1, 1)
