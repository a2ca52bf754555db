"""Checkpoints run on their own thread and connection after database work, never inside the writer's commit."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.dbthread import DbThread
from bot.models import FeedConfig
from storage import SAFETY_NET_CHECKPOINT_PAGES, Store, open_store

NOW = datetime(2028, 6, 12, 12, tzinfo=UTC)


def add_feed(store: Store, url: str) -> None:
    with store.transaction():
        store.feeds.add(FeedConfig(url, interval_seconds=600), NOW, "test")


async def test_a_write_is_copied_into_the_database_file_by_the_checkpoint_thread(tmp_path: Path) -> None:
    store = open_store(tmp_path / "bot.db")
    checkpointer = store.background_checkpoints()
    assert checkpointer is not None
    # The writer only checkpoints by itself as a safety net.
    assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == SAFETY_NET_CHECKPOINT_PAGES
    threads: list[str] = []
    checkpointed = threading.Event()

    class Recording:
        def __call__(self) -> None:
            threads.append(threading.current_thread().name)
            checkpointer()
            checkpointed.set()

        def close(self) -> None:
            checkpointer.close()

    db = DbThread(Recording())
    await db(add_feed, store, "https://feed.example/rss")
    assert checkpointed.wait(10)
    db.close()
    assert threads
    assert all(name.startswith("electionwatch-checkpoint") for name in threads)
    # The database file alone, without its write-ahead log, holds the feed.
    shutil.copy(tmp_path / "bot.db", tmp_path / "copy.db")
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT url FROM feeds").fetchall() == [("https://feed.example/rss",)]
    copy.close()
    store.close()


async def test_a_failing_checkpoint_is_logged_and_database_work_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(tmp_path / "bot.db")
    failed = threading.Event()

    class Failing:
        def __call__(self) -> None:
            failed.set()
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            pass

    db = DbThread(Failing())
    with caplog.at_level(logging.ERROR, logger="bot.dbthread"):
        await db(add_feed, store, "https://feed.example/one")
        assert failed.wait(10)
        await db(add_feed, store, "https://feed.example/two")
        db.close()
    assert "background checkpoint failed" in caplog.text
    assert [feed.url for feed in store.feeds.all()] == ["https://feed.example/one", "https://feed.example/two"]
    store.close()


def test_an_in_memory_database_has_no_checkpoints() -> None:
    store = open_store(":memory:")
    assert store.background_checkpoints() is None
    store.close()
