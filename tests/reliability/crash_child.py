"""The process the crash test kills: ingest one feed and deliver its stories to the fake Telegram, then exit.

``python -m tests.reliability.crash_child DB FEED_URL TELEGRAM_BASE_URL``. Every step is idempotent, so
running it again after a SIGKILL at any point continues the work. Before delivering, the ids of rows
left in ``sending`` (the in-doubt rows a crash leaves) are appended to ``DB.uncertain``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.app import build_runtime
from bot.models import ChatRef, FeedConfig, Tags
from bot.pipeline.deliver import OutboxWorker, RateLimits
from bot.pipeline.poll import poll_feeds
from bot.platforms.telegram import TelegramSender, build_application
from bot.settings import Settings
from handlers import dispatch
from handlers.types import Command

TOKEN = "123456:TEST"


class ElectionTagger:
    """Every item mentioning an election is relevant (no knowledge files: the child starts fast)."""

    class _Knowledge:
        body_parents: dict[str, str | None] = {}

        @staticmethod
        def resolve_country(term: str) -> str | None:
            return None

        @staticmethod
        def resolve_body(term: str) -> str | None:
            return None

        @staticmethod
        def country_label(code: str) -> str:
            return code

        @staticmethod
        def body_label(body_id: str) -> str:
            return body_id

        @staticmethod
        def vocabulary() -> list[str]:
            return []

    knowledge = _Knowledge()

    def tag(self, title: str, text: str, lang: str | None) -> Tags:
        return Tags("election" in f"{title} {text}".lower(), (), (), ())


CHAT = ChatRef("telegram", "1001", None)


async def main(db: Path, feed_url: str, telegram_url: str) -> None:
    """Subscribe, poll, deliver until the outbox is empty."""
    settings = Settings(db=db, allow_private_feeds=True, fetch_timeout=5.0)
    runtime = build_runtime(settings, tagger=ElectionTagger())
    store = runtime.store
    services = runtime.build_services()
    if not await runtime.db(store.subscriptions.active):
        await dispatch(Command("subscribe", "all", CHAT, "1001"), services)
    if await runtime.db(store.feeds.by_url, feed_url) is None:
        await runtime.db(store.feeds.add, FeedConfig(feed_url, "Feed", None, 600), runtime.clock.now(), "test")

    def log_in_doubt() -> None:
        doubtful = [row[0] for row in store.db.execute("SELECT id FROM outbox WHERE state = 'sending'")]
        if doubtful:
            with Path(f"{db}.uncertain").open("a", encoding="ascii") as log:
                log.write("".join(f"{row_id}\n" for row_id in doubtful))
                log.flush()
                os.fsync(log.fileno())

    await runtime.db(log_in_doubt)
    await poll_feeds(await runtime.db(store.feeds.enabled), runtime.deps, 1)

    application = build_application(TOKEN, services, telegram_url)
    await application.initialize()
    fast = RateLimits(per_chat_interval=0.0, group_per_minute=100_000, global_per_second=1000)
    worker = OutboxWorker(
        store, runtime.db, runtime.clock, {"telegram": TelegramSender(application)}, runtime.summary, {"telegram": fast}
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, idle_seconds=0.05))

    def open_rows() -> int:
        counts = store.outbox.counts()
        return sum(counts.get(state, 0) for state in ("pending", "sending", "uncertain"))

    while await runtime.db(open_rows):  # noqa: ASYNC110 - the database is the condition
        await asyncio.sleep(0.02)
    stop.set()
    await task
    await application.shutdown()
    await runtime.aclose()


if __name__ == "__main__":
    print("ready", flush=True)
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
