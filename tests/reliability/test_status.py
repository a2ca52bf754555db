"""``electionwatch status`` and the health lines of the admin ``/feeds`` reply."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import app
from bot.app import Runtime
from bot.cli import main
from bot.models import ChatRef, FeedConfig
from handlers import dispatch
from handlers.types import Command
from storage import Store, open_store
from tests.conftest import START, KeywordTagger


def populate(store: Store) -> None:
    ok = store.feeds.add(FeedConfig("https://ok.example/rss", "OK", None, 600), START, "config")
    failing = store.feeds.add(FeedConfig("https://failing.example/rss", "Failing", None, 600), START, "config")
    disabled = store.feeds.add(FeedConfig("https://off.example/rss", "Off", None, 600), START, "config")
    store.feeds.record_success(
        ok.id,
        START - timedelta(minutes=5),
        status=200,
        etag=None,
        last_modified=None,
        body_hash="x",
        bozo_reason=None,
        next_poll=START,
        new_items=0,
    )
    store.feeds.record_failure(
        failing.id, START, error="HTTP 503", status=503, failures=2, next_poll=START, disable=False
    )
    store.feeds.record_failure(
        disabled.id, START, error="HTTP 404", status=404, failures=20, next_poll=START, disable=True
    )
    chat = store.subscriptions.ensure_chat(ChatRef("telegram", "5", None), START, None, False)
    for minutes, state in ((30, "pending"), (20, "pending"), (10, "sent"), (5, "dead")):
        story = store.items.new_story(START)
        store.outbox.enqueue(story, [chat.id], START - timedelta(minutes=minutes))
        if state != "pending":
            store.db.execute("UPDATE outbox SET state = ? WHERE story_id = ?", (state, story))
    store.db.conn.commit()


def test_health_numbers(store: Store) -> None:
    populate(store)
    health = store.health()
    assert (health.feeds_total, health.feeds_failing, health.feeds_disabled) == (3, 1, 1)
    assert health.last_success == START - timedelta(minutes=5)
    assert health.outbox == {"pending": 2, "sent": 1, "dead": 1}
    assert health.oldest_pending == START - timedelta(minutes=30)
    assert health.lines(START) == [
        "feeds: 3 total, 1 failing, 1 disabled or paused",
        "last successful poll: 2026-04-27 11:55 UTC (5 min ago)",
        "outbox: pending 2, sending 0, uncertain 0, sent 1, dead 1, dropped 0",
        "oldest pending delivery: 2026-04-27 11:30 UTC (30 min ago)",
    ]


def test_health_of_an_empty_database(store: Store) -> None:
    assert store.health().lines(START) == [
        "feeds: 0 total, 0 failing, 0 disabled or paused",
        "last successful poll: never",
        "outbox: pending 0, sending 0, uncertain 0, sent 0, dead 0, dropped 0",
        "oldest pending delivery: none",
    ]


def test_status_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "load_tagger", KeywordTagger)
    db = tmp_path / "s.db"
    store = open_store(db)
    populate(store)
    store.close()
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "feeds: 3 total, 1 failing, 1 disabled or paused"
    assert out[1].startswith("last successful poll: 2026-04-27 11:55 UTC")
    assert out[2] == "outbox: pending 2, sending 0, uncertain 0, sent 1, dead 1, dropped 0"
    assert out[3].startswith("oldest pending delivery: 2026-04-27 11:30 UTC")


async def test_admin_feeds_reply_ends_with_the_health_lines(runtime: Runtime) -> None:
    await runtime.db(populate, runtime.store)
    services = runtime.build_services()
    services.admins = frozenset({"telegram:1"})
    [reply] = await dispatch(Command("feeds", "", ChatRef("telegram", "1", None), "1"), services)
    lines = reply.text.splitlines()
    assert lines[0] == "3 feeds, 1 failing, 1 paused or disabled:"
    assert lines[-4:] == [
        "feeds: 3 total, 1 failing, 1 disabled or paused",
        "last successful poll: 2026-04-27 11:55 UTC (5 min ago)",
        "outbox: pending 2, sending 0, uncertain 0, sent 1, dead 1, dropped 0",
        "oldest pending delivery: 2026-04-27 11:30 UTC (30 min ago)",
    ]
