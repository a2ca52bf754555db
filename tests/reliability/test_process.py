"""Faults around the poll cycle: hung servers, Retry-After, redirect chains, overlapping polls, a locked
database, and chat latency during a big poll (rows 1, 8, 14, 37, 38, 39, 60)."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import Runtime
from bot.errors import TooManyRedirects
from bot.models import ChatRef, FeedConfig, FeedRecord
from bot.pipeline.fetch import FetchLimits, Validators, build_http_client, fetch
from bot.pipeline.poll import poll_feed, poll_feeds
from handlers import dispatch
from handlers.types import Command
from tests.conftest import START
from tests.fakes.feed_server import FeedServer, rss

CHAT = ChatRef("telegram", "9", None)


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A loopback server that accepts TCP connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


async def add(runtime: Runtime, url: str, name: str) -> FeedRecord:
    return await runtime.db(runtime.store.feeds.add, FeedConfig(url, name, None, 600), runtime.clock.now(), "config")


def election_items(count: int, prefix: str = "Election") -> list[dict[str, str]]:
    return [
        {
            "title": f"{prefix} news {n}",
            "link": f"https://n.example/{prefix}/{n}",
            "guid": f"{prefix}-{n}",
            "description": f"Observers report on the election, part {n}. " * 35,
        }
        for n in range(count)
    ]


async def test_row_1_hung_server_hits_the_overall_deadline_and_the_cycle_survives(
    runtime: Runtime, feed_server: FeedServer, hung_port: int
) -> None:
    """Row 1: a server that accepts and never answers → "timeout" on that feed; the other feed still runs."""
    deps = replace(runtime.deps, limits=FetchLimits(total_timeout=0.5))
    hung = await add(runtime, f"http://127.0.0.1:{hung_port}/feed", "Hung")
    good = await add(runtime, feed_server.add("/good", body=rss(election_items(2))), "Good")
    started = time.monotonic()
    reports = {r.feed: r for r in await poll_feeds([hung, good], deps, concurrency=2)}
    assert time.monotonic() - started < 5
    assert reports["Hung"].error == "no complete answer within 0.5 s"
    assert reports["Good"].new_items == 2
    state = await runtime.db(runtime.store.feeds.get, hung.id)
    assert state is not None
    assert state.consecutive_failures == 1
    assert state.last_error == "no complete answer within 0.5 s"
    again = await poll_feeds([state], deps, concurrency=1)  # the next tick runs normally
    assert again[0].error == "no complete answer within 0.5 s"


@pytest.mark.parametrize("header", ["7200", "Mon, 27 Apr 2026 14:00:00 GMT"])
async def test_row_8_retry_after_pushes_the_next_poll(runtime: Runtime, feed_server: FeedServer, header: str) -> None:
    """Row 8: 429 with Retry-After (seconds or HTTP date) → next poll no sooner; recorded as HTTP 429."""
    feed = await add(runtime, feed_server.add("/busy", status=429, headers={"Retry-After": header}), "Busy")
    report = await poll_feed(feed, runtime.deps)
    assert report.error is not None
    assert report.error.startswith("HTTP 429")
    state = await runtime.db(runtime.store.feeds.get, feed.id)
    assert state is not None
    assert state.next_poll_at is not None
    assert state.next_poll_at >= runtime.clock.now() + timedelta(seconds=7200)
    assert state.bozo_reason is None


async def test_row_14_six_chained_redirects_are_refused(feed_server: FeedServer) -> None:
    """Row 14: more than 5 hops → a redirect error (loops are covered in tests/pipeline/test_fetch.py)."""
    feed_server.add("/r6", body=rss(election_items(1)))
    for hop in range(6):
        feed_server.add(f"/r{hop}", status=302, redirect_to=feed_server.url(f"/r{hop + 1}"))
    async with build_http_client("test") as client:
        with pytest.raises(TooManyRedirects):
            await fetch(client, feed_server.url("/r0"), Validators(), FetchLimits(), START)
    assert feed_server.hits.get("/r6", 0) == 0


async def test_row_38_overlapping_polls_store_and_queue_each_story_once(
    runtime: Runtime, feed_server: FeedServer
) -> None:
    """Row 38: two polls of one feed at once → each item stored once, one delivery row per (story, chat)."""
    services = runtime.build_services()
    await dispatch(Command("subscribe", "all", CHAT, "9"), services)
    feed = await add(runtime, feed_server.add("/rss", body=rss(election_items(10))), "Feed")
    reports = await asyncio.gather(poll_feed(feed, runtime.deps), poll_feed(feed, runtime.deps))
    assert sorted(r.new_items for r in reports) == [0, 10]
    assert runtime.store.items.count() == 10
    rows = runtime.store.db.execute("SELECT story_id, chat_row, count(*) FROM outbox GROUP BY 1, 2").fetchall()
    assert len(rows) == 10
    assert {row[2] for row in rows} == {1}


async def test_row_39_a_writer_holding_the_lock_delays_but_never_fails_a_poll(
    runtime: Runtime, feed_server: FeedServer
) -> None:
    """Row 39: busy_timeout is set; another connection holding the write lock for 0.5 s → no "database is locked"."""
    assert runtime.store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    feed = await add(runtime, feed_server.add("/rss", body=rss(election_items(3))), "Feed")
    locked = threading.Event()

    def hold_lock() -> None:
        other = sqlite3.connect(runtime.settings.db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(0.5)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(5)
    report = await poll_feed(feed, runtime.deps)
    holder.join()
    assert report.error is None
    assert report.new_items == 3


async def test_rows_37_60_command_answered_within_200_ms_during_a_big_poll(
    runtime: Runtime, feed_server: FeedServer
) -> None:
    """Rows 37 and 60: a 2,000-item feed is parsed and stored off the event loop; a chat command that needs
    no database is answered within 200 ms while it runs, and one that does within the time of one commit."""
    body = rss(election_items(2000))
    assert len(body) > 3_000_000
    feed = await add(runtime, feed_server.add("/big", body=body), "Big")
    services = runtime.build_services()
    poll = asyncio.create_task(poll_feed(feed, runtime.deps))
    latencies = []
    while not poll.done():
        started = time.perf_counter()
        await dispatch(Command("nosuchcommand", "", CHAT, "9"), services)
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.05)
    report = await poll
    assert report.new_items == 2000
    assert len(latencies) >= 3
    assert max(latencies) < 0.2, f"slowest command took {max(latencies):.3f} s"


async def test_row_57_unexpected_exception_in_one_feed_is_recorded_and_others_run(
    runtime: Runtime, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row 57: a bug while processing one feed → logged and recorded on that feed; the other feeds still run."""
    from bot.pipeline import poll

    real_fetch = poll.fetch

    async def fetch_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = await real_fetch(*args, **kwargs)
        if b"BOOM" in result.body:
            raise RuntimeError("unexpected")
        return result

    monkeypatch.setattr(poll, "fetch", fetch_then_fail)
    bad = await add(runtime, feed_server.add("/bad", body=rss(election_items(1, "BOOM"))), "Bad")
    good = await add(runtime, feed_server.add("/good", body=rss(election_items(2))), "Good")
    reports = {r.feed: r for r in await poll_feeds([bad, good], runtime.deps, concurrency=2)}
    assert reports["Bad"].error == "internal error: RuntimeError: unexpected"
    assert reports["Good"].new_items == 2
    state = await runtime.db(runtime.store.feeds.get, bad.id)
    assert state is not None
    assert state.last_error == "internal error: RuntimeError: unexpected"


def test_rows_58_59_jobs_never_stack_and_missed_runs_coalesce() -> None:
    """Rows 58/59: one running instance per feed job; missed runs (suspend) coalesce into one."""
    from bot.scheduler import FeedScheduler

    async def job(feed_id: int) -> None:
        return None

    defaults = FeedScheduler(job).scheduler._job_defaults
    assert defaults["max_instances"] == 1
    assert defaults["coalesce"] is True


async def test_row_50_invalid_telegram_token_fails_fast(tmp_path: object) -> None:
    """Row 50: a token the Bot API refuses → a clear error at start; the scheduler never starts."""
    from pathlib import Path

    from bot.app import build_runtime
    from bot.errors import ConfigError
    from bot.runner import serve
    from bot.settings import Settings
    from tests.conftest import KeywordTagger
    from tests.fakes.telegram_api import FakeTelegram

    telegram = await FakeTelegram().start()
    settings = Settings(
        db=Path(str(tmp_path)) / "t.db", telegram_bot_token="999:WRONG", telegram_api_base_url=telegram.base_url
    )
    runtime = build_runtime(settings, tagger=KeywordTagger())
    try:
        started = time.monotonic()
        with pytest.raises(ConfigError, match="telegram could not start"):
            await asyncio.wait_for(serve(runtime, None, asyncio.Event()), 10)
        assert time.monotonic() - started < 5
        assert {call.method for call in telegram.calls} <= {"getMe"}
    finally:
        await runtime.aclose()
        await telegram.stop()


async def test_row_30_item_without_guid_or_link_is_stored_once(runtime: Runtime, feed_server: FeedServer) -> None:
    """Row 30: no guid and no link → keyed by its text; the next poll (feed bytes changed) adds nothing."""
    item = {"title": "Election observers deployed", "description": "Forty observers arrived."}
    feed = await add(runtime, feed_server.add("/rss", body=rss([item])), "Feed")
    first = await poll_feed(feed, runtime.deps)
    feed_server.routes["/rss"].body = rss([item], title="Changed channel title")
    state = await runtime.db(runtime.store.feeds.get, feed.id)
    assert state is not None
    second = await poll_feed(state, runtime.deps)
    assert (first.new_items, second.new_items, second.duplicates) == (1, 0, 1)


async def test_row_6_not_modified_resets_the_failure_counter(runtime: Runtime, feed_server: FeedServer) -> None:
    """Row 6: a 304 stores nothing, parses nothing and counts as a success (failures back to 0)."""
    url = feed_server.add("/rss", body=rss(election_items(2)), etag=True)
    feed = await add(runtime, url, "Feed")
    await poll_feed(feed, runtime.deps)
    now = runtime.clock.now()
    await runtime.db(
        runtime.store.feeds.record_failure,
        feed.id,
        now,
        error="HTTP 502",
        status=502,
        failures=2,
        next_poll=now,
        disable=False,
    )
    state = await runtime.db(runtime.store.feeds.get, feed.id)
    assert state is not None
    report = await poll_feed(state, runtime.deps)
    assert report.not_modified
    after = await runtime.db(runtime.store.feeds.get, feed.id)
    assert after is not None
    assert after.consecutive_failures == 0
    assert after.last_error is None
    assert runtime.store.items.count() == 2


async def test_row_14_permanent_redirect_moves_the_feed_after_its_target_parsed(
    runtime: Runtime, feed_server: FeedServer
) -> None:
    """Row 14: a 301 (or 308) to a feed that parses updates the stored URL; the feeds.yaml entry still matches."""
    new_url = feed_server.add("/new.xml", body=rss(election_items(2)))
    old_url = feed_server.add("/old.xml", status=301, redirect_to=new_url)
    feed = await add(runtime, old_url, "Moved")
    report = await poll_feed(feed, runtime.deps)
    assert report.new_items == 2
    moved = runtime.store.feeds.get(feed.id)
    assert moved is not None
    assert moved.url == new_url
    assert moved.moved_from == old_url
    # feeds.yaml still lists the old URL: the moved feed is that entry, not a new one to add.
    assert runtime.store.feeds.sync_config([FeedConfig(old_url, "Moved", None, 600)], runtime.clock.now()) == (0, 0, 0)
    assert [f.url for f in runtime.store.feeds.all()] == [new_url]
    again = await poll_feed(moved, runtime.deps)
    assert again.new_items == 0
    assert feed_server.hits["/old.xml"] == 1


async def test_row_14_temporary_or_broken_redirects_keep_the_stored_url(
    runtime: Runtime, feed_server: FeedServer
) -> None:
    """Row 14: a 302 keeps the listed URL; so does a 301 whose target is not a feed or is polled already."""
    target = feed_server.add("/t.xml", body=rss(election_items(1, "Temp")))
    temporary = await add(runtime, feed_server.add("/temp.xml", status=302, redirect_to=target), "Temporary")
    html = feed_server.add("/page.html", body=b"<html><body>Moved to our new site</body></html>")
    broken = await add(runtime, feed_server.add("/broken.xml", status=301, redirect_to=html), "Broken")
    existing = await add(runtime, feed_server.add("/existing.xml", body=rss(election_items(1, "Own"))), "Existing")
    taken = await add(runtime, feed_server.add("/dup.xml", status=301, redirect_to=existing.url), "Taken")
    reports = await poll_feeds([temporary, broken, taken], runtime.deps, concurrency=3)
    assert reports[0].new_items == 1
    assert reports[1].error
    assert reports[2].error is None
    for feed in (temporary, broken, taken):
        stored = runtime.store.feeds.get(feed.id)
        assert stored is not None
        assert (stored.url, stored.moved_from) == (feed.url, None)


async def test_row_7_etag_changing_every_poll_with_expires_0_parses_but_sends_nothing_twice(
    runtime: Runtime, feed_server: FeedServer
) -> None:
    """Row 7: a new ETag and build date on every poll, `Expires: 0` → each poll parses, nothing is new or queued."""
    await dispatch(Command("subscribe", "all", CHAT, "9"), runtime.build_services())
    entries = election_items(3)
    feed = await add(runtime, feed_server.add("/rss", body=rss(entries)), "Feed")
    assert (await poll_feed(feed, runtime.deps)).new_items == 3
    queued = runtime.store.outbox.counts()
    for poll in range(1, 4):
        body = rss(entries).replace(b"<channel>", f"<channel><lastBuildDate>poll {poll}</lastBuildDate>".encode())
        feed_server.add("/rss", body=body, headers={"ETag": f'"build-{poll}"', "Expires": "0"})
        stored = runtime.store.feeds.get(feed.id)
        assert stored is not None
        report = await poll_feed(stored, runtime.deps)
        assert not report.not_modified  # the bytes changed: parsed again
        assert (report.new_items, report.duplicates) == (0, 3)
        sent_back = None if poll == 1 else f'"build-{poll - 1}"'
        assert feed_server.request_headers["/rss"].get("if-none-match") == sent_back
    assert runtime.store.outbox.counts() == queued
