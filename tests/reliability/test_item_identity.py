"""Rows 31 and 32: which re-listed entries are the same item, and which are new."""

from __future__ import annotations

from bot.app import Runtime
from bot.models import ChatRef
from bot.pipeline.poll import poll_feed
from handlers import dispatch
from handlers.types import Command
from tests.fakes.feed_server import FeedServer, rss
from tests.pipeline.test_poll import add_feed, fresh

CHAT = ChatRef("telegram", "9", None)


async def test_row_31_same_guid_on_different_articles_keeps_both(runtime: Runtime, feed_server: FeedServer) -> None:
    """Row 31: a feed that gives every entry one guid still delivers each article; the next poll adds nothing."""
    entries = [
        {
            "title": f"Election commission update {n}",
            "link": f"https://cec.example/news/{n}",
            "guid": "https://cec.example/",
            "description": f"Announcement number {n} about the count.",
        }
        for n in range(3)
    ]
    url = feed_server.add("/cec.xml", body=rss(entries))
    feed = await add_feed(runtime, url)
    assert (await poll_feed(feed, runtime.deps)).new_items == 3
    feed_server.add("/cec.xml", body=rss([*entries, entries[0]]))  # another body: parsed again
    report = await poll_feed(await fresh(runtime, feed), runtime.deps)
    assert (report.new_items, report.duplicates) == (0, 4)
    assert runtime.store.items.count() == 3


async def test_row_32_scheme_and_subdomain_flip_with_an_edited_title_sends_nothing_new(
    runtime: Runtime, feed_server: FeedServer
) -> None:
    """Row 32: the same article re-polled as https://www. with a corrected title → no second notification."""
    await dispatch(Command("subscribe", "all", CHAT, "9"), runtime.build_services())
    article = {
        "title": "Observers criticise the election count in Georgia",
        "link": "http://news.example/2026/observers-criticise-count",
        "guid": "news-4411",
        "description": "International observers said the count in several districts lacked transparency, "
        "citing late protocols and restricted access for citizen observers at polling stations.",
    }
    feed = await add_feed(runtime, feed_server.add("/news.xml", body=rss([article])))
    first = await poll_feed(feed, runtime.deps)
    assert len(first.new_story_ids) == 1
    flipped = {
        **article,
        "title": "Observers criticise the election count in Georgia (updated)",
        "link": "https://www.news.example/2026/observers-criticise-count",
    }
    feed_server.add("/news.xml", body=rss([flipped]))
    second = await poll_feed(await fresh(runtime, feed), runtime.deps)
    assert second.new_story_ids == ()
    deliveries = runtime.store.db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    assert deliveries == 1
