"""Abuse from chat: command rate limit, per-chat subscription cap, cap on feeds from chat (row 66)."""

from __future__ import annotations

import httpx

from bot.app import Runtime
from bot.clock import FrozenClock
from bot.models import ChatRef, CheckedFeed, FeedConfig
from handlers import dispatch
from handlers.types import Command, Services


def command(text: str, chat_id: str = "7", user_id: str = "7") -> Command:
    name, _, args = text.lstrip("/").partition(" ")
    return Command(name, args, ChatRef("telegram", chat_id, None), user_id)


async def test_row_66_command_rate_limit_per_chat(runtime: Runtime, clock: FrozenClock) -> None:
    """Row 66: 20 commands a minute per chat; the 21st gets one clear answer, later ones are dropped."""
    services = runtime.build_services()
    for _ in range(20):
        [reply] = await dispatch(command("/help"), services)
        assert not reply.text.startswith("Too many")
    [refused] = await dispatch(command("/help"), services)
    assert refused.text == "Too many commands from this chat: at most 20 a minute. Try again in 60 s."
    assert refused.private
    assert await dispatch(command("/subscribe all"), services) == []
    assert runtime.store.subscriptions.active() == []  # a dropped command does nothing
    [other_chat] = await dispatch(command("/help", chat_id="8"), services)
    assert not other_chat.text.startswith("Too many")
    clock.advance(61)
    [again] = await dispatch(command("/help"), services)
    assert not again.text.startswith("Too many")


async def test_row_66_500_addfeed_in_a_minute_fetch_at_most_20(runtime: Runtime) -> None:
    """Row 66: a flood of /addfeed costs at most the rate limit in fetches."""
    fetched: list[str] = []

    async def check_feed(url: str) -> CheckedFeed:
        fetched.append(url)
        return CheckedFeed("Feed", url, url)

    services = runtime.build_services()
    services.admins = frozenset({"telegram:7"})
    services.check_feed = check_feed
    answers = [await dispatch(command(f"/addfeed https://n{i}.example/rss"), services) for i in range(500)]
    assert len(fetched) == 20
    assert sum(1 for replies in answers if replies) == 21
    assert len(runtime.store.feeds.all()) == 20


async def test_row_66_subscriptions_per_chat_capped(runtime: Runtime) -> None:
    """Row 66: max_subscriptions_per_chat; the next /subscribe is refused with a clear reason."""
    services: Services = runtime.build_services()
    services.max_subscriptions_per_chat = 3
    for terms in ("Kazakhstan", "Kyrgyzstan", "odihr"):
        [reply] = await dispatch(command(f"/subscribe {terms}"), services)
        assert "Error" not in reply.text
    [refused] = await dispatch(command("/subscribe cec"), services)
    assert refused.text == (
        "This chat already has 3 subscriptions, the most allowed. Remove one with /unsubscribe first."
    )
    assert len(runtime.store.subscriptions.active()) == 3


async def test_row_66_feeds_from_chat_capped_before_any_fetch(runtime: Runtime) -> None:
    """Row 66: max_feeds_from_chat; the next /addfeed is refused without fetching anything."""
    services = runtime.build_services()
    services.admins = frozenset({"telegram:7"})
    services.max_feeds_from_chat = 2
    for i in range(2):
        runtime.store.feeds.add(FeedConfig(f"https://f{i}.example/rss", None, None, 600), runtime.clock.now(), "chat")

    async def no_fetch(url: str) -> CheckedFeed:
        raise httpx.ConnectError("must not fetch")

    services.check_feed = no_fetch
    [refused] = await dispatch(command("/addfeed https://third.example/rss"), services)
    assert refused.text == "The bot already polls 2 feeds added from chat."
    assert len(runtime.store.feeds.all()) == 2
