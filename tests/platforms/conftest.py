"""A running bot (scheduler, Telegram adapter, outbox worker) against the fake Telegram Bot API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Runtime
from bot.clock import SystemClock
from bot.pipeline.deliver import RateLimits
from bot.runner import serve
from bot.settings import Settings
from tests.fakes.telegram_api import Call, FakeTelegram

ADMIN = 42
FAST = {"telegram": RateLimits(per_chat_interval=0.05, group_per_minute=1000, global_per_second=1000)}


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> SystemClock:
    """A running bot waits real (short) delays such as Retry-After, so it runs on the wall clock."""
    return SystemClock()


@pytest.fixture
def settings(tmp_path: Path, telegram: FakeTelegram) -> Settings:
    return Settings(
        db=tmp_path / "bot.db",
        telegram_bot_token=telegram.token,
        telegram_api_base_url=telegram.base_url,
        admins=f"telegram:{ADMIN}, slack:UADMIN",
        allow_private_feeds=True,
        fetch_timeout=5.0,
    )


class RunningBot:
    """Start and stop ``serve`` around a test; talk to it like a user."""

    def __init__(self, runtime: Runtime, telegram: FakeTelegram, config: Path | None) -> None:
        self.runtime = runtime
        self.telegram = telegram
        self.config = config
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self, rate_limits: dict[str, RateLimits] | None = None) -> RunningBot:
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(
            serve(self.runtime, self.config, self.stop_event, rate_limits=rate_limits or FAST)
        )
        for _ in range(200):
            if self.telegram.commands:
                break
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task:
            await asyncio.wait_for(self.task, 10)

    async def ask(self, text: str, replies: int = 1, **where: object) -> list[str]:
        self.telegram.user_says(text, **where)  # type: ignore[arg-type]
        calls: list[Call] = [await self.telegram.next_sent() for _ in range(replies)]
        return [str(call.params["text"]) for call in calls]


@pytest.fixture
async def make_bot(runtime: Runtime, telegram: FakeTelegram) -> AsyncIterator[type[RunningBot]]:
    started: list[RunningBot] = []

    class Factory(RunningBot):
        def __init__(self, config: Path | None = None) -> None:
            super().__init__(runtime, telegram, config)
            started.append(self)

    yield Factory
    for bot in started:
        with contextlib.suppress(Exception):
            await bot.stop()
