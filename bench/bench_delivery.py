"""Delivery and matching benchmark (run on demand: ``uv run python bench/bench_delivery.py``).

1. 2,000 story messages for 500 Telegram chats through the real outbox worker and the real
   python-telegram-bot against the fake Bot API on 127.0.0.1, which answers 429 whenever Telegram's
   limits would be broken (more than 1 message/s to a chat, or 30/s overall). Reports messages/s,
   429s, and the fastest per-chat gap.
2. Matching one story against 10,000 subscriptions with the anchor-term index.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.clock import SystemClock
from bot.dbthread import DbThread
from bot.models import ChatRef, Filter, Subscription, Summary, Term
from bot.pipeline.deliver import OutboxWorker, RateLimits
from bot.pipeline.match import SubscriptionIndex, story_facts
from storage import open_store
from tests.fakes.telegram_api import FakeTelegram, retry_after

CHATS = 500
STORIES = 4


class EnforcingTelegram(FakeTelegram):
    """Refuses with 429 what real Telegram would refuse."""

    def __init__(self) -> None:
        super().__init__()
        self.last_by_chat: dict[str, float] = {}
        self.min_gap = float("inf")
        self.window: deque[float] = deque()
        self.refused = 0
        self.per_chat: dict[str, int] = defaultdict(int)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "sendMessage":
            params = await self._params(request)
            chat = str(params["chat_id"])
            now = time.monotonic()
            while self.window and self.window[0] <= now - 1:
                self.window.popleft()
            last = self.last_by_chat.get(chat)
            if (last is not None and now - last < 1.0) or len(self.window) >= 30:
                self.refused += 1
                return web.json_response(retry_after(1), status=429)
            if last is not None:
                self.min_gap = min(self.min_gap, now - last)
            self.last_by_chat[chat] = now
            self.window.append(now)
            self.per_chat[chat] += 1
            result = await self._m_sendMessage(params)
            return web.json_response({"ok": True, "result": result})
        return await super()._handle(request)


async def delivery() -> None:
    from bot.platforms.telegram import TelegramSender, build_application

    server = await EnforcingTelegram().start()
    folder = Path(tempfile.mkdtemp())
    store = open_store(folder / "bench.db")
    clock = SystemClock()
    now = clock.now()
    chats = [
        store.subscriptions.ensure_chat(ChatRef("telegram", str(10_000 + n)), now, None, False) for n in range(CHATS)
    ]
    summaries = {}
    with store.transaction():
        for s in range(STORIES):
            story_id = store.items.new_story(now)
            summaries[story_id] = Summary(
                story_id,
                f"Story {s}",
                f"https://n.example/{s}",
                "Lead.",
                ("🇰🇿 Kazakhstan",),
                ("OSCE/ODIHR",),
                "Wire",
                now,
            )
            store.outbox.enqueue(story_id, [chat.id for chat in chats], now)
    application = build_application(server.token, None, server.base_url)  # type: ignore[arg-type]
    await application.initialize()
    worker = OutboxWorker(
        store,
        DbThread(),
        clock,
        {"telegram": TelegramSender(application)},
        summaries.get,
        limits={"telegram": RateLimits()},
    )
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(worker.run(stop, idle_seconds=0.05))
    total = CHATS * STORIES
    while sum(server.per_chat.values()) < total:
        await asyncio.sleep(0.2)
        if time.perf_counter() - started > 600:
            break
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    await application.shutdown()
    await server.stop()
    sent = sum(server.per_chat.values())
    print(f"delivery: {sent} messages to {CHATS} chats in {elapsed:.1f} s = {sent / elapsed:.1f} messages/s")
    print(f"  429 answers caused by the bot: {server.refused}")
    print(f"  fastest gap between two messages to one chat: {server.min_gap:.3f} s")
    print(f"  outbox: {store.outbox.counts()}")


def matching() -> None:
    rng = random.Random(7)
    countries = ["KZ", "KG", "GE", "AM", "MD", "RS", "NG", "KE", "BO", "TN", "LK", "UA", "AZ", "UZ", "TJ"]
    bodies = ["osce-odihr", "osce-pa", "pace", "eu-eom", "cis", "election-commission", "citizen-observers", "oas"]
    subscriptions = []
    for n in range(10_000):
        kind = rng.random()
        terms: list[Term]
        if kind < 0.5:
            terms = [Term("country", rng.choice(countries))]
        elif kind < 0.8:
            terms = [Term("country", rng.choice(countries)), Term("body", rng.choice(bodies))]
        elif kind < 0.95:
            terms = [Term("body", rng.choice(bodies))]
        else:
            terms = [Term("keyword", rng.choice(["early elections", "recount", "run-off", "turnout"]))]
        subscriptions.append(Subscription(n, n, ChatRef("telegram", str(n)), Filter(tuple(terms))))
    started = time.perf_counter()
    index = SubscriptionIndex(subscriptions)
    build = time.perf_counter() - started
    parents = {"osce-odihr": "osce", "osce-pa": "osce", "pace": "council-of-europe", "eu-eom": "eu"}
    text = "The OSCE/ODIHR mission published its interim report on the early elections. " * 5
    facts = story_facts(True, ["KZ"], ["osce-odihr", "election-commission"], text, parents)
    timings = []
    for _ in range(2000):
        started = time.perf_counter()
        matched = index.match(facts)
        timings.append(time.perf_counter() - started)
    print(
        f"matching: 10,000 subscriptions, index built in {build * 1000:.1f} ms; one story matches {len(matched)} chats"
    )
    p99 = sorted(timings)[int(len(timings) * 0.99)]
    print(f"  median {statistics.median(timings) * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs")


if __name__ == "__main__":
    matching()
    asyncio.run(delivery())
