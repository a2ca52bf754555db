"""The story index: candidate stories found through band and topic rows, across merges, pruning and upgrades."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from bot.models import FeedConfig, Item
from storage import Store, open_store
from storage.migrations import migrations
from storage.stories import MAX_ITEMS_PER_STORY

NOW = datetime(2026, 4, 27, 12, tzinfo=UTC)
DAY = NOW.date().toordinal()


def item(number: int) -> Item:
    link = f"https://news.example/{number}"
    return Item("https://news.example/rss", f"Story {number}", link, link, None, NOW, False, "", "en", f"h{number}")


def file_item(store: Store, feed_id: int, story_id: int, number: int, band: int) -> int:
    item_id = store.items.insert(feed_id, item(number), story_id, NOW)
    store.stories.record(
        story_id,
        item_id,
        day=DAY,
        index_days=(DAY,),
        countries=["KZ"],
        kinds=["results"],
        bands=[band],
        features="{}",
        signature=b"",
    )
    return item_id


def band_candidates(store: Store, band: int) -> list[tuple[int, int]]:
    return store.stories.candidates((band,), (DAY - 7, DAY + 7), (), (), None)


def test_items_of_merged_stories_lead_to_the_story_that_took_them(store: Store) -> None:
    feed = store.feeds.add(FeedConfig("https://news.example/rss", interval_seconds=600), NOW, "test")
    first, second, third = (store.items.new_story(NOW) for _ in range(3))
    items = [
        file_item(store, feed.id, story, number, band)
        for number, (story, band) in enumerate([(first, 111), (second, 222), (third, 333)])
    ]
    store.stories.merge(second, [first], NOW)
    store.stories.merge(third, [second], NOW)

    expected = [(third, item_id) for item_id in sorted(items, reverse=True)]
    assert band_candidates(store, 111) == expected
    assert band_candidates(store, 222) == expected

    # A delivery of a merged story still under way keeps the story that took its items.
    store.db.execute(
        "INSERT INTO chats (id, platform, chat_id, created_at) VALUES (1, 'telegram', '42', ?)", (NOW.isoformat(),)
    )
    store.db.execute(
        "INSERT INTO outbox (story_id, chat_row, state, next_attempt_at, created_at) VALUES (?, 1, 'sending', ?, ?)",
        (first, NOW.isoformat(), NOW.isoformat()),
    )
    later = NOW + timedelta(days=1)
    assert store.prune.prune_batch(later, later, 10).stories == 0
    store.db.execute("UPDATE outbox SET state = 'sent'")

    # Pruning the surviving story removes the stories merged into it, and their deliveries, with it.
    batch = store.prune.prune_batch(later, later, 10)
    assert (batch.stories, batch.items) == (1, 3)
    assert store.db.execute("SELECT count(*) FROM stories").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert band_candidates(store, 333) == []


def test_a_story_offers_only_its_newest_items(store: Store) -> None:
    feed = store.feeds.add(FeedConfig("https://news.example/rss", interval_seconds=600), NOW, "test")
    story = store.items.new_story(NOW)
    items = [file_item(store, feed.id, story, number, 444) for number in range(MAX_ITEMS_PER_STORY + 3)]
    assert band_candidates(store, 444) == [(story, item_id) for item_id in items[::-1][:MAX_ITEMS_PER_STORY]]


def test_upgrade_fills_story_ids_and_newest_items(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m005_story_lookup_without_features")
    db.execute(
        "INSERT INTO feeds (id, url, interval_seconds, added_at) VALUES (1, 'https://news.example/rss', 600, ?)",
        (NOW.isoformat(),),
    )
    for story in (1, 2):
        db.execute("INSERT INTO stories (id, first_seen, updated_at) VALUES (?, ?, ?)", (story, NOW, NOW))
    for item_id in range(1, 16):
        # Story 1 was merged into story 2 before the upgrade: its items already belong to story 2.
        db.execute(
            "INSERT INTO items (id, feed_id, link, title, summary, published, published_is_fallback, first_seen, lang, "
            "content_hash, story_id) VALUES (?, 1, ?, 'Title', '', ?, 0, ?, 'en', ?, 2)",
            (item_id, f"https://news.example/{item_id}", NOW.isoformat(), NOW.isoformat(), f"h{item_id}"),
        )
        db.execute(
            "INSERT INTO story_features (item_id, story_id, day, features, signature) VALUES (?, 2, ?, '{}', x'')",
            (item_id, DAY),
        )
        db.execute("INSERT INTO story_bands (band_key, day, item_id) VALUES (555, ?, ?)", (DAY, item_id))
    db.conn.commit()
    db.conn.close()

    store = open_store(path)
    try:
        recent = json.loads(store.db.execute("SELECT recent_items FROM stories WHERE id = 2").fetchone()[0])
        assert sorted(recent, reverse=True) == list(range(15, 15 - MAX_ITEMS_PER_STORY, -1))
        assert store.db.execute("SELECT DISTINCT story_id FROM story_bands").fetchall() == [(2,)]
        assert band_candidates(store, 555) == [(2, item_id) for item_id in range(15, 15 - MAX_ITEMS_PER_STORY, -1)]
    finally:
        store.close()


def test_rows_filed_under_a_day_outside_the_range_are_read_only_when_asked(store: Store) -> None:
    feed = store.feeds.add(FeedConfig("https://news.example/rss", interval_seconds=600), NOW, "test")
    story = store.items.new_story(NOW)
    item_id = store.items.insert(feed.id, item(1), story, NOW)
    store.stories.record(
        story,
        item_id,
        day=DAY,
        index_days=(0,),
        countries=["KZ"],
        kinds=["results"],
        bands=[],
        features="{}",
        signature=b"",
    )
    in_range = (DAY - 2, DAY + 2)
    assert store.stories.candidates((), None, ("KZ",), ("results",), in_range) == []
    assert store.stories.candidates((), None, ("KZ",), ("results",), in_range, also_day=0) == [(story, item_id)]
    assert store.stories.candidates((), None, ("KZ",), ("turnout",), in_range, also_day=0) == []


def test_an_item_naming_no_country_is_found_by_kind_and_finds_reports_of_its_kind_anywhere(store: Store) -> None:
    feed = store.feeds.add(FeedConfig("https://news.example/rss", interval_seconds=600), NOW, "test")
    kazakh, unplaced = store.items.new_story(NOW), store.items.new_story(NOW)
    for story, number, country in ((kazakh, 1, "KZ"), (unplaced, 2, "")):
        item_id = store.items.insert(feed.id, item(number), story, NOW)
        store.stories.record(
            story,
            item_id,
            day=DAY,
            index_days=(DAY,),
            countries=[country],
            kinds=["turnout"],
            bands=[],
            features="{}",
            signature=b"",
        )
    in_range = (DAY - 2, DAY + 2)
    found_by_kind = store.stories.candidates((), None, (), ("turnout",), in_range, any_country=True)
    assert {story for story, _ in found_by_kind} == {kazakh, unplaced}
    found_for_kazakhstan = store.stories.candidates((), None, ("KZ", ""), ("turnout",), in_range)
    assert {story for story, _ in found_for_kazakhstan} == {kazakh, unplaced}
    found_for_armenia = store.stories.candidates((), None, ("AM", ""), ("turnout",), in_range)
    assert {story for story, _ in found_for_armenia} == {unplaced}
    assert store.stories.candidates((), None, (), ("results",), in_range, any_country=True) == []
