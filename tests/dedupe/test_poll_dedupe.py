"""Dedupe end to end: feeds served over HTTP, polled, stored, and grouped into stories."""

from __future__ import annotations

from bot.app import Runtime
from bot.models import FeedConfig, FeedRecord
from bot.pipeline.poll import poll_feed
from tests.fakes.feed_server import FeedServer, rss

PRELIM = (
    "ASTANA, 27 April 2026 – Kazakhstan's early presidential election was efficiently administered but "
    "lacked genuine competition, ODIHR observers said in a preliminary statement today. The mission "
    "deployed 356 observers from 41 countries."
)
WIRE = (
    "ASTANA, April 27 (Steppe Wire) - Kazakhstan's early presidential election was efficiently administered but "
    "lacked genuine competition, ODIHR observers said in a preliminary statement today.\nReporting by Steppe Wire"
)
OPENING = (
    "ASTANA, 18 March 2026 – ODIHR today opened an election observation mission in Kazakhstan for the 26 April "
    "early presidential election, with 12 experts and 24 long-term observers."
)


async def add_feed(runtime: Runtime, url: str, name: str) -> FeedRecord:
    return await runtime.db(runtime.store.feeds.add, FeedConfig(url, name, None, 600), runtime.clock.now(), "test")


def entry(title: str, link: str, text: str, date: str) -> dict[str, str]:
    return {"title": title, "link": link, "guid": link, "description": text, "pubDate": date}


async def test_copies_join_one_story_and_other_events_stay_apart(runtime: Runtime, feed_server: FeedServer) -> None:
    agency = [
        entry(
            "ODIHR opens observation mission in Kazakhstan",
            "https://a.example/1",
            OPENING,
            "Wed, 18 Mar 2026 11:00:00 +0000",
        ),
        entry(
            "Kazakhstan election efficiently run but lacked competition, observers say",
            "https://a.example/2",
            PRELIM,
            "Mon, 27 Apr 2026 13:00:00 +0000",
        ),
    ]
    wire = [
        entry(
            "Observers: Kazakh vote orderly but offered little real choice",
            "https://w.example/9",
            WIRE,
            "Mon, 27 Apr 2026 15:30:00 +0000",
        ),
        # the agency's article, carried unchanged at its own link
        agency[1],
    ]
    first = await add_feed(runtime, feed_server.add("/agency", body=rss(agency)), "Agency")
    second = await add_feed(runtime, feed_server.add("/wire", body=rss(wire)), "Wire")

    report = await poll_feed(first, runtime.deps)
    assert (report.new_items, len(report.new_story_ids)) == (2, 2)
    report = await poll_feed(second, runtime.deps)
    stories = {row["link"]: row["story"] for row in runtime.store.items.export_rows()}
    prelim_story = stories["https://a.example/2"]
    assert stories["https://w.example/9"] == prelim_story
    assert stories["https://a.example/1"] != prelim_story
    # The rewrite joined an existing story and the exact copy came from another outlet: the sent
    # message of that story is edited, no new story is announced.
    assert report.new_story_ids == ()
    assert report.updated_story_ids == (prelim_story,)

    listing = runtime.store.stories.recent(10)
    [story] = [s for s in listing if s.id == prelim_story]
    assert [source.feed for source in story.sources] == ["Agency", "Wire", "Wire"]
    assert story.countries == ("KZ",)
