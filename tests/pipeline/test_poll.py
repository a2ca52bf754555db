from pathlib import Path

from bot.app import Runtime, build_runtime
from bot.clock import FrozenClock
from bot.models import FeedConfig, FeedRecord
from bot.pipeline.poll import poll_feed, poll_feeds
from bot.pipeline.schedule import DISABLE_AFTER_FAILURES
from bot.settings import Settings
from storage.migrations import migrations
from tests.conftest import KeywordTagger
from tests.fakes.feed_server import FeedServer, rss

DATA = Path(__file__).parent.parent / "data" / "feeds"


async def add_feed(runtime: Runtime, url: str, name: str = "Feed") -> FeedRecord:
    return await runtime.db(runtime.store.feeds.add, FeedConfig(url, name, None, 600), runtime.clock.now(), "test")


async def fresh(runtime: Runtime, feed: FeedRecord) -> FeedRecord:
    record = await runtime.db(runtime.store.feeds.get, feed.id)
    assert record is not None
    return record


async def test_poll_stores_items_with_tags(runtime: Runtime, feed_server: FeedServer) -> None:
    feed = await add_feed(runtime, feed_server.add("/rss", body=(DATA / "rss20.xml").read_bytes()))
    report = await poll_feed(feed, runtime.deps)
    assert (report.new_items, report.duplicates, report.error) == (2, 0, None)
    rows = list(runtime.store.items.export_rows())
    first = rows[0]
    assert first["link"] == "https://steppe-courier.example/news/observers-arrive?utm_source=rss&id=7#top"
    assert first["relevant"] is True
    assert first["countries"] == ["KZ"]
    assert first["bodies"] == ["osce-odihr"]
    assert first["lang"] == "en"
    assert first["published"] == "2026-04-20T04:30:00+00:00"
    assert first["story"] != rows[1]["story"]
    state = await fresh(runtime, feed)
    assert state.last_success_at == runtime.clock.now()
    assert state.items_total == 2


async def test_repoll_stores_nothing_and_304_is_not_parsed(runtime: Runtime, feed_server: FeedServer) -> None:
    feed = await add_feed(runtime, feed_server.add("/rss", body=(DATA / "rss20.xml").read_bytes(), etag=True))
    await poll_feed(feed, runtime.deps)
    again = await poll_feed(await fresh(runtime, feed), runtime.deps)
    assert again.not_modified
    assert runtime.store.items.count() == 2


async def test_unchanged_bytes_without_etag_are_not_parsed(runtime: Runtime, feed_server: FeedServer) -> None:
    feed = await add_feed(runtime, feed_server.add("/rss", body=(DATA / "rss20.xml").read_bytes()))
    await poll_feed(feed, runtime.deps)
    again = await poll_feed(await fresh(runtime, feed), runtime.deps)
    assert again.not_modified
    assert feed_server.hits["/rss"] == 2


async def test_changed_feed_with_same_items_stores_no_duplicates(runtime: Runtime, feed_server: FeedServer) -> None:
    items = [{"title": "Election day", "link": "https://n.example/1", "guid": "1", "description": "Vote."}]
    feed = await add_feed(runtime, feed_server.add("/rss", body=rss(items)))
    await poll_feed(feed, runtime.deps)
    items.append({"title": "Second", "link": "https://n.example/2", "guid": "2", "description": "Other."})
    feed_server.routes["/rss"].body = rss(list(reversed(items)), title="Changed title")
    report = await poll_feed(await fresh(runtime, feed), runtime.deps)
    assert (report.new_items, report.duplicates) == (1, 1)


async def test_exact_duplicates_across_feeds(runtime: Runtime, feed_server: FeedServer) -> None:
    first = [{"title": "Mission opens", "link": "https://a.example/x", "guid": "a1", "description": "Text one."}]
    second = [
        # the same link with tracking parameters
        {
            "title": "Mission opens",
            "link": "https://A.example/x?utm_source=tg",
            "guid": "b1",
            "description": "Text one.",
        },
        # another URL, same text
        {
            "title": "Mission opens",
            "link": "https://b.example/copy",
            "guid": "b2",
            "description": "Text one.",
        },
        # the same guid twice in one feed
        {"title": "Other", "link": "https://b.example/o", "guid": "b3", "description": "Text two."},
        {"title": "Other", "link": "https://b.example/o", "guid": "b3", "description": "Text two."},
    ]
    feed_a = await add_feed(runtime, feed_server.add("/a", body=rss(first)), "A")
    feed_b = await add_feed(runtime, feed_server.add("/b", body=rss(second)), "B")
    reports = await poll_feeds([feed_a, feed_b], runtime.deps, concurrency=1)
    assert [(r.new_items, r.duplicates) for r in reports] == [(1, 0), (1, 3)]
    links = [row["link"] for row in runtime.store.items.export_rows()]
    assert links == [
        "https://a.example/x",
        "https://A.example/x?utm_source=tg",
        "https://b.example/copy",
        "https://b.example/o",
    ]
    stories = {row["story"] for row in runtime.store.items.export_rows()}
    assert len(stories) == 2


async def test_edited_article_with_same_guid_is_not_new(runtime: Runtime, feed_server: FeedServer) -> None:
    items = [{"title": "Draft title", "link": "https://n.example/1", "guid": "1", "description": "Body."}]
    feed = await add_feed(runtime, feed_server.add("/rss", body=rss(items)))
    await poll_feed(feed, runtime.deps)
    items[0] = {
        "title": "Corrected title",
        "link": "https://n.example/1",
        "guid": "1",
        "description": "Body, fixed.",
    }
    feed_server.routes["/rss"].body = rss(items)
    report = await poll_feed(await fresh(runtime, feed), runtime.deps)
    assert (report.new_items, report.duplicates) == (0, 1)


async def test_failures_back_off_then_disable(runtime: Runtime, feed_server: FeedServer) -> None:
    feed = await add_feed(runtime, feed_server.add("/down", status=503))
    delays = []
    for _ in range(DISABLE_AFTER_FAILURES):
        report = await poll_feed(await fresh(runtime, feed), runtime.deps)
        state = await fresh(runtime, feed)
        assert state.next_poll_at is not None
        delays.append((state.next_poll_at - runtime.clock.now()).total_seconds())
    assert report.error == "HTTP 503"
    assert report.disabled
    assert delays[:4] == [600, 1200, 2400, 4800]
    assert max(delays) == 12 * 3600
    state = await fresh(runtime, feed)
    assert not state.enabled
    assert state.disabled_reason is not None
    assert "20 failures" in state.disabled_reason


async def test_one_bad_feed_does_not_break_another(runtime: Runtime, feed_server: FeedServer) -> None:
    bad = await add_feed(runtime, feed_server.add("/bad", body=b"<html><body>not a feed</body></html>"), "Bad")
    slow = await add_feed(runtime, feed_server.add("/empty", body=b""), "Empty")
    good = await add_feed(runtime, feed_server.add("/good", body=(DATA / "atom.xml").read_bytes()), "Good")
    reports = {r.feed: r for r in await poll_feeds([bad, slow, good], runtime.deps, concurrency=3)}
    assert reports["Bad"].error == "the URL returned an HTML page, not a feed"
    assert reports["Empty"].error == "the server answered 200 with an empty body"
    assert reports["Good"].new_items == 1


async def test_bozo_reason_is_recorded(runtime: Runtime, feed_server: FeedServer) -> None:
    feed = await add_feed(runtime, feed_server.add("/bozo", body=(DATA / "bozo.xml").read_bytes()))
    report = await poll_feed(feed, runtime.deps)
    assert report.new_items == 2
    assert report.warning
    assert (await fresh(runtime, feed)).bozo_reason


async def test_items_survive_a_restart(settings: Settings, clock: FrozenClock, feed_server: FeedServer) -> None:
    url = feed_server.add("/rss", body=(DATA / "cp1251.xml").read_bytes())
    first = build_runtime(settings, clock=clock, tagger=KeywordTagger())
    feed = await add_feed(first, url)
    await poll_feed(feed, first.deps)
    await first.aclose()
    second = build_runtime(settings, clock=clock, tagger=KeywordTagger())
    try:
        rows = list(second.store.items.export_rows())
        assert [row["title"] for row in rows] == ["ЦИК Казахстана аккредитовал наблюдателей"]
        assert rows[0]["lang"] == "ru"
        feed_again = await second.db(second.store.feeds.by_url, url)
        assert feed_again is not None
        report = await poll_feed(feed_again, second.deps)
        assert report.not_modified
        assert not migrations.pending(second.store.db)
        assert second.store.schema_version() >= 1
    finally:
        await second.aclose()


async def test_unchanged_feeds_are_marked_in_shared_commits(runtime: Runtime, feed_server: FeedServer) -> None:
    body = (DATA / "rss20.xml").read_bytes()
    feeds = [await add_feed(runtime, feed_server.add(f"/rss{n}", body=body, etag=True), f"F{n}") for n in range(12)]
    await poll_feeds(feeds, runtime.deps, concurrency=12)
    commits = 0
    original = runtime.store.transaction

    def counted() -> object:
        nonlocal commits
        commits += 1
        return original()

    runtime.store.transaction = counted
    runtime.clock.advance(seconds=3600)
    reports = await poll_feeds([await fresh(runtime, f) for f in feeds], runtime.deps, concurrency=12)
    assert all(report.not_modified for report in reports)
    assert 1 <= commits < len(feeds)
    for feed in feeds:
        state = await fresh(runtime, feed)
        assert (state.last_status, state.last_polled_at) == (304, runtime.clock.now())
