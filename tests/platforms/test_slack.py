"""The real slack-bolt app and slack_sdk client against a fake Slack Web API, driven by signed HTTP requests.

The bot runs as in production (``serve`` with ``build_platforms``), with its events endpoint on a free
loopback port; every request to it is signed here with the v0 scheme (reliability.md A.1.5).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import yaml

from bot.app import Platform, Runtime, build_platforms
from bot.errors import ConfigError
from bot.models import ChatRef, FeedConfig, Summary
from bot.pipeline.deliver import ChatSender, RateLimits
from bot.pipeline.poll import poll_feed
from bot.platforms.slack import (
    EVENTS_PATH,
    SeenEvents,
    SlackPlatform,
    render_blocks,
    render_plain,
    render_reply,
    to_command,
)
from bot.platforms.slack import commands as slack_commands
from bot.runner import serve
from bot.settings import Settings
from handlers import COMMANDS, dispatch
from handlers.types import Command, Reply, Services
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.slack_api import Call, FakeSlack, error, rate_limited
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADMIN = "U_ADMIN"
FAST = {
    "slack": RateLimits(per_chat_interval=0.05, group_per_minute=1000, global_per_second=1000),
    "telegram": RateLimits(per_chat_interval=0.05, group_per_minute=1000, global_per_second=1000),
}
STORY = {
    "title": "ODIHR opens election observation mission in Kazakhstan",
    "link": "https://wire.example/odihr-opens",
    "guid": "w-1",
    "description": "The OSCE/ODIHR mission opened in Astana ahead of the early presidential election.",
}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def settings(tmp_path: Path, slack: FakeSlack) -> Settings:
    return Settings(
        db=tmp_path / "bot.db",
        slack_bot_token=slack.token,
        slack_signing_secret=SECRET,
        slack_port=0,
        slack_api_url=slack.api_url,
        admins=f"slack:{ADMIN}, telegram:42",
        allow_private_feeds=True,
        fetch_timeout=5.0,
    )


def sign(body: str, timestamp: str, secret: str = SECRET) -> str:
    """Slack's v0 request signature."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


class Started:
    """A platform whose start can be awaited by the test (no polling for readiness)."""

    def __init__(self, inner: Platform) -> None:
        self.inner = inner
        self.name = inner.name
        self.ready = asyncio.Event()

    @property
    def sender(self) -> ChatSender:
        return self.inner.sender

    @property
    def rate_limits(self) -> RateLimits | None:
        return getattr(self.inner, "rate_limits", None)

    async def start(self) -> None:
        await self.inner.start()
        self.ready.set()

    async def stop(self) -> None:
        await self.inner.stop()


class SlackBot:
    """``serve`` around a test, and a Slack workspace's side of the conversation."""

    def __init__(self, runtime: Runtime, slack: FakeSlack, config: Path | None = None) -> None:
        self.runtime = runtime
        self.slack = slack
        self.config = config
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.platforms: list[Started] = []
        self.http: aiohttp.ClientSession | None = None
        self.events = itertools.count(1)
        self.built = asyncio.Event()

    async def start(self, rate_limits: dict[str, RateLimits] | None = None) -> SlackBot:
        def factory(settings: Settings, services: Services) -> list[Platform]:
            self.platforms = [Started(platform) for platform in build_platforms(settings, services)]
            self.built.set()
            return list(self.platforms)

        self.task = asyncio.create_task(
            serve(self.runtime, self.config, self.stop_event, rate_limits=rate_limits or FAST, platform_factory=factory)
        )
        await asyncio.wait_for(self.built.wait(), 5)
        await asyncio.wait_for(asyncio.gather(*(p.ready.wait() for p in self.platforms)), 5)
        self.http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        """Stop the bot; in-flight deliveries finish first."""
        self.stop_event.set()
        if self.task:
            await asyncio.wait_for(self.task, 10)
        if self.http:
            await self.http.close()

    @property
    def url(self) -> str:
        slack = next(p.inner for p in self.platforms if isinstance(p.inner, SlackPlatform))
        assert isinstance(slack, SlackPlatform)
        return f"http://127.0.0.1:{slack.port}{EVENTS_PATH}"

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        **headers: str,
    ) -> int:
        """POST to the bot's events endpoint, signed unless told otherwise; the HTTP status."""
        assert self.http is not None
        ts = str(int(time.time())) if timestamp is None else timestamp
        sent_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(body, ts) if signature is None else signature,
            **headers,
        }
        async with self.http.post(self.url, data=body.encode(), headers=sent_headers) as response:
            await response.read()
            return response.status

    def command_body(self, text: str, user: str = "U1", channel: str = "C1") -> str:
        return urlencode(self.command_payload(text, user, channel))

    def command_payload(self, text: str, user: str = "U1", channel: str = "C1") -> dict[str, str]:
        """What Slack sends for ``/electionwatch TEXT``."""
        return {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "observers",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "election-news",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/electionwatch",
            "text": text,
            "api_app_id": "A1",
            "response_url": self.slack.response_url(),
            "trigger_id": "1.2.3",
        }

    async def command(self, text: str, user: str = "U1", channel: str = "C1", **kwargs: str) -> int:
        return await self.post(self.command_body(text, user, channel), "application/x-www-form-urlencoded", **kwargs)

    async def ask(self, text: str, replies: int = 1, user: str = "U1", channel: str = "C1") -> list[Call]:
        """Type ``/electionwatch TEXT``; the replies posted to the response_url."""
        assert await self.command(text, user, channel) == 200
        calls = [await self.slack.next_sent() for _ in range(replies)]
        assert all(call.method == "response_url" for call in calls), calls
        return calls

    async def mention(
        self, text: str, user: str = "U1", channel: str = "C1", event_id: str | None = None, **headers: str
    ) -> int:
        body = json.dumps(self.event_payload(text, user, channel, event_id))
        return await self.post(body, "application/json", **headers)

    def event_payload(
        self, text: str, user: str = "U1", channel: str = "C1", event_id: str | None = None
    ) -> dict[str, Any]:
        """What the Events API sends when someone mentions the bot."""
        return {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self.events)}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
            "event": {
                "type": "app_mention",
                "user": user,
                "text": text,
                "ts": "1700000000.000001",
                "channel": channel,
                "event_ts": "1700000000.000001",
            },
        }


@pytest.fixture
async def make_bot(runtime: Runtime, slack: FakeSlack) -> AsyncIterator[type[SlackBot]]:
    started: list[SlackBot] = []

    class Factory(SlackBot):
        def __init__(self, config: Path | None = None) -> None:
            super().__init__(runtime, slack, config)
            started.append(self)

    yield Factory
    for bot in started:
        if not bot.stop_event.is_set():
            await bot.stop()


def text_of(call: Call) -> str:
    return str(call.params["text"])


def blocks_text(call: Call) -> str:
    """Every mrkdwn string in a message's blocks, joined."""
    parts: list[str] = []
    for block in call.params.get("blocks") or []:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(element["text"] for element in block.get("elements", []))
    return "\n".join(parts)


async def store_story(runtime: Runtime, feed_server: FeedServer) -> None:
    """Ingest one story without delivering it (no chat subscribes yet)."""
    url = feed_server.add("/stored.xml", body=rss([STORY], title="Wire"))
    await runtime.db(runtime.store.feeds.add, FeedConfig(url, "Wire", None, 600), runtime.clock.now(), "test")
    feed = runtime.store.feeds.by_url(url)
    assert feed is not None
    await poll_feed(feed, runtime.deps)


# --- commands ------------------------------------------------------------------------------------


async def test_help_is_ephemeral_and_speaks_slack(make_bot: type[SlackBot]) -> None:
    bot = await make_bot().start()
    [reply] = await bot.ask("help")
    assert reply.params["response_type"] == "ephemeral"
    assert "ElectionWatch follows election-observation news" in text_of(reply)
    assert "/electionwatch subscribe TERMS" in text_of(reply)
    assert "/electionwatch addfeed" not in text_of(reply), "admin commands are listed only for admins"
    [reply] = await bot.ask("", user=ADMIN)
    assert "/electionwatch addfeed URL [name]" in text_of(reply), "a bare /electionwatch is help"
    [reply] = await bot.ask("start")
    assert reply.params["response_type"] == "ephemeral"
    [reply] = await bot.ask("frobnicate now")
    assert reply.params["response_type"] == "ephemeral"
    assert "I don't know /frobnicate" in text_of(reply)


async def test_subscriptions_belong_to_the_channel(
    make_bot: type[SlackBot], slack: FakeSlack, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    [reply] = await bot.ask("subscribe Kazakhstan odihr", user="U1", channel="C1")
    assert text_of(reply) == "Only this group's administrators can change its subscriptions."
    assert reply.params["response_type"] == "ephemeral"
    slack.workspace_admins.add("U_WSADMIN")
    [reply] = await bot.ask("subscribe Kazakhstan odihr", user="U_WSADMIN", channel="C1")
    assert text_of(reply).startswith("Subscribed to 🇰🇿 Kazakhstan + OSCE/ODIHR.")
    assert reply.params["response_type"] == "in_channel"
    [reply] = await bot.ask('subscribe KZ "early elections" -referendum', user=ADMIN, channel="C1")
    assert text_of(reply).startswith("Subscribed to 🇰🇿 Kazakhstan + “early elections” + not “referendum”.")
    [reply] = await bot.ask("subscriptions", user="U1", channel="C1")
    assert "1. 🇰🇿 Kazakhstan + OSCE/ODIHR" in text_of(reply), "anyone may read the channel's subscriptions"
    assert "/electionwatch unsubscribe N removes one" in text_of(reply)
    channel = runtime.store.subscriptions.chat(ChatRef("slack", "C1"))
    assert channel is not None
    assert channel.title == "election-news"
    assert len(runtime.store.subscriptions.for_chat(channel.id)) == 2
    [reply] = await bot.ask("unsubscribe 2", user=ADMIN, channel="C1")
    assert text_of(reply).startswith("Unsubscribed from 🇰🇿 Kazakhstan + “early elections”")
    [reply] = await bot.ask("subscribe all", user="U1", channel="D1")
    assert text_of(reply).startswith("Subscribed to all relevant stories"), "in a DM the user decides"
    [reply] = await bot.ask("unsubscribe all", user="U1", channel="D1")
    assert text_of(reply) == "Unsubscribed from all relevant stories."
    [reply] = await bot.ask("subscribe Kazakstan", user="U1", channel="D1")
    assert text_of(reply).startswith("I don't know “Kazakstan”. Did you mean Kazakhstan")
    assert reply.params["response_type"] == "ephemeral"


async def test_latest_search_explain_show_stories_as_blocks(
    make_bot: type[SlackBot], runtime: Runtime, feed_server: FeedServer
) -> None:
    await store_story(runtime, feed_server)
    bot = await make_bot().start()
    [reply] = await bot.ask("latest Kazakhstan")
    assert text_of(reply).startswith("Latest stories for 🇰🇿 Kazakhstan:")
    assert "*<https://wire.example/odihr-opens|ODIHR opens election observation mission in Kazakhstan>*" in (
        blocks_text(reply)
    )
    assert reply.params["response_type"] == "in_channel"
    [reply] = await bot.ask("search observation mission")
    assert text_of(reply).startswith("Found for “observation mission”:")
    assert "ODIHR opens election observation" in blocks_text(reply)
    [reply] = await bot.ask("search zzzz")
    assert text_of(reply) == "Nothing found for “zzzz”."
    # Slack sends URLs typed in a command as <https://…>; the handler gets the bare URL.
    [reply] = await bot.ask("explain <https://wire.example/odihr-opens>")
    assert "Relevant: yes" in text_of(reply)
    assert "Countries: 🇰🇿 Kazakhstan" in text_of(reply)
    [reply] = await bot.ask("explain https://wire.example/unknown")
    assert text_of(reply) == "I have no item with that link."


async def test_admin_commands_and_refusal(make_bot: type[SlackBot], feed_server: FeedServer, runtime: Runtime) -> None:
    bot = await make_bot().start()
    url = feed_server.add("/wire.xml", body=rss([STORY], title="Wire"))
    [reply] = await bot.ask(f"addfeed {url}", user="U1", channel="D1")
    assert text_of(reply) == "Sorry, only the bot's administrators can manage feeds."
    assert reply.params["response_type"] == "ephemeral"
    for refused in ("feeds", "pausefeed 1", "resumefeed 1", "removefeed 1"):
        [reply] = await bot.ask(refused, user="U1", channel="D1")
        assert text_of(reply) == "Sorry, only the bot's administrators can manage feeds."
    [reply] = await bot.ask(f"addfeed {url} Wire service", user=ADMIN, channel="D9")
    assert text_of(reply) == "Added feed #1: Wire service. It is polled now and every 10 minutes."
    [reply] = await bot.ask("feeds", user=ADMIN, channel="D9")
    assert "#1 Wire service" in text_of(reply)
    [reply] = await bot.ask("pausefeed 1", user=ADMIN, channel="D9")
    assert text_of(reply).startswith("Paused feed #1: Wire service. /electionwatch resumefeed 1 starts it again.")
    [reply] = await bot.ask("resumefeed 1", user=ADMIN, channel="D9")
    assert text_of(reply) == "Resumed feed #1: Wire service."
    [reply] = await bot.ask(f"removefeed {url}", user=ADMIN, channel="D9")
    assert text_of(reply) == "Removed feed #1: Wire service."
    assert runtime.store.feeds.all() == []


async def test_mention_runs_a_command_and_a_retried_event_is_handled_once(
    make_bot: type[SlackBot], slack: FakeSlack
) -> None:
    bot = await make_bot().start()
    assert await bot.mention("<@UBOT> subscriptions", event_id="Ev1") == 200
    first = await slack.next_sent()
    assert first.method == "chat.postMessage"
    assert first.params["channel"] == "C1"
    assert text_of(first).startswith("This chat has no subscriptions.")
    # Slack did not see our ack in time and delivers the same event again
    assert await bot.mention("<@UBOT> subscriptions", event_id="Ev1", **{"X-Slack-Retry-Num": "1"}) == 200
    assert await bot.mention("<@UBOT> frobnicate", event_id="Ev2", **{"X-Slack-Retry-Num": "0"}) == 200
    private = await slack.next_sent()
    assert private.method == "chat.postEphemeral", "the retry of Ev1 produced no second answer"
    assert private.params["user"] == "U1"
    assert "I don't know /frobnicate" in text_of(private)
    assert len(slack.posted_to("C1")) == 1


class SlowDispatch:
    """``dispatch`` that holds every command until the test opens the gate: work slower than Slack's 3 s."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started: list[str] = []

    async def __call__(self, cmd: Command, services: Services) -> list[Reply]:
        self.started.append(f"{cmd.name} {cmd.chat.chat_id}")
        await self.gate.wait()
        return await dispatch(cmd, services)


@pytest.fixture
def slow_dispatch(monkeypatch: pytest.MonkeyPatch) -> SlowDispatch:
    slow = SlowDispatch()
    monkeypatch.setattr(slack_commands, "dispatch", slow)
    return slow


async def test_row_53_slow_work_is_acked_at_once_and_a_retry_is_not_run_again(
    make_bot: type[SlackBot], slack: FakeSlack, slow_dispatch: SlowDispatch
) -> None:
    """Row 53: while the work is still running, the command and the mention are acked (HTTP 200) well within
    Slack's 3 s, so Slack has no reason to retry; a retry that comes anyway starts nothing; replies follow."""
    bot = await make_bot().start()
    retry = {"X-Slack-Retry-Num": "1"}
    async with asyncio.timeout(1.0):  # acks do not wait for the work
        assert await bot.command("subscriptions", channel="C1") == 200
        assert await bot.mention("<@UBOT> subscriptions", channel="C2", event_id="EvSlow") == 200
        assert await bot.mention("<@UBOT> subscriptions", channel="C2", event_id="EvSlow", **retry) == 200
    assert slack.sent.empty(), "no reply before the work is done"

    slow_dispatch.gate.set()
    replies = {call.method: call for call in [await slack.next_sent(), await slack.next_sent()]}
    assert set(replies) == {"response_url", "chat.postMessage"}
    assert text_of(replies["response_url"]).startswith("This chat has no subscriptions.")
    assert replies["chat.postMessage"].params["channel"] == "C2"
    await bot.stop()
    assert slack.sent.empty(), "one answer per command"
    assert sorted(slow_dispatch.started) == ["subscriptions C1", "subscriptions C2"], "the retry started nothing"


async def test_row_53_socket_mode_acks_before_slow_work_finishes(
    make_bot: type[SlackBot], slack: FakeSlack, runtime: Runtime, slow_dispatch: SlowDispatch
) -> None:
    """Row 53 in Socket Mode: each envelope is acked while its work is still held."""
    runtime.settings = runtime.settings.model_copy(
        update={"slack_app_token": slack.app_token, "slack_signing_secret": None}
    )
    bot = await make_bot().start()
    await slack.push("slash_commands", bot.command_payload("subscriptions", channel="D1"), "env-1")
    await slack.push("events_api", bot.event_payload("<@UBOT> subscriptions", channel="D2", event_id="EvS"), "env-2")
    acks = {(await slack.next_ack(timeout=1.0))["envelope_id"] for _ in range(2)}
    assert acks == {"env-1", "env-2"}
    assert slack.sent.empty(), "no reply before the work is done"
    slow_dispatch.gate.set()
    assert {(await slack.next_sent()).method for _ in range(2)} == {"response_url", "chat.postMessage"}
    assert sorted(slow_dispatch.started) == ["subscriptions D1", "subscriptions D2"]


async def test_unsigned_requests_are_refused_and_change_nothing(
    make_bot: type[SlackBot], slack: FakeSlack, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    now = int(time.time())
    body = bot.command_body("subscribe all", user=ADMIN, channel="D1")
    content = "application/x-www-form-urlencoded"
    assert await bot.post(body, content, signature=sign(body, str(now), secret="another-secret")) == 401
    assert await bot.post(body, content, signature=sign(body.replace("all", "KZ"), str(now))) == 401, "tampered"
    assert await bot.post(body, content, signature="") == 401
    stale = str(now - 301)
    assert await bot.post(body, content, timestamp=stale, signature=sign(body, stale)) == 401
    for odd in ("abc", "²", "", "1e9"):  # SignatureVerifier raises ValueError on these: still 401
        assert await bot.post(body, content, timestamp=odd, signature=sign(body, odd)) == 401
    event_signature = "v0=" + "0" * 64
    assert await bot.mention("<@UBOT> subscribe all", user=ADMIN, channel="D1", signature=event_signature) == 401
    assert runtime.store.subscriptions.chat(ChatRef("slack", "D1")) is None
    assert not [c for c in slack.calls if c.method != "auth.test"], "nothing was answered"
    # a correctly signed request a little under five minutes old still works
    recent = str(int(time.time()) - 290)
    assert await bot.post(body, content, timestamp=recent, signature=sign(body, recent)) == 200
    reply = await slack.next_sent()
    assert text_of(reply).startswith("Subscribed to all relevant stories")


# --- deliveries ----------------------------------------------------------------------------------


async def deliver_story(bot: SlackBot, feed_server: FeedServer, name: str = "wire") -> None:
    url = feed_server.add(f"/{name}.xml", body=rss([STORY], title=name))
    [reply] = await bot.ask(f"addfeed {url} {name}", user=ADMIN, channel="D9")
    assert text_of(reply).startswith("Added feed")


async def test_story_posted_as_blocks_then_updated_for_new_outlets(
    make_bot: type[SlackBot], feed_server: FeedServer, slack: FakeSlack
) -> None:
    bot = await make_bot().start()
    await bot.ask("subscribe Kazakhstan", user=ADMIN, channel="C1")
    await deliver_story(bot, feed_server, "Outlet1")
    story = await slack.next_sent()
    assert story.method == "chat.postMessage"
    assert story.params["channel"] == "C1"
    assert story.params["unfurl_links"] is False
    section, context = story.params["blocks"]
    assert section["text"]["text"].startswith(
        "*<https://wire.example/odihr-opens|ODIHR opens election observation mission in Kazakhstan>*\nThe OSCE/ODIHR"
    )
    assert context["elements"][0]["text"] == "🇰🇿 Kazakhstan · OSCE/ODIHR"
    assert context["elements"][1]["text"].startswith("Outlet1, ")
    assert text_of(story).startswith("ODIHR opens election observation mission in Kazakhstan\nhttps://wire.example/")
    await deliver_story(bot, feed_server, "Outlet2")
    update = await slack.next_sent()
    assert update.method == "chat.update"
    assert update.params["ts"] == "1700000000.000001"
    assert "also: Outlet2" in blocks_text(update)
    slack.fail_next("chat.update", "C1", error("invalid_blocks"))
    await deliver_story(bot, feed_server, "Outlet3")
    refused, plain = await slack.next_sent(), await slack.next_sent()
    assert (refused.method, refused.params["_failed"]) == ("chat.update", "invalid_blocks")
    assert plain.method == "chat.update"
    assert plain.params["blocks"] == [], "a plain edit clears the blocks Slack would keep"
    assert "also: Outlet2, Outlet3" in text_of(plain)
    assert len(slack.posted_to("C1")) == 1, "one message per story per channel"


async def test_channel_not_found_deactivates_the_channel(
    make_bot: type[SlackBot], feed_server: FeedServer, slack: FakeSlack, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    await bot.ask("subscribe Kazakhstan", user=ADMIN, channel="C1")
    slack.fail_next("chat.postMessage", "C1", error("channel_not_found"))
    await deliver_story(bot, feed_server)
    refused = await slack.next_sent()
    assert refused.params["_failed"] == "channel_not_found"
    await bot.stop()  # waits for the worker to finish handling the failure
    channel = runtime.store.subscriptions.chat(ChatRef("slack", "C1"))
    assert channel is not None
    assert not channel.active
    assert channel.inactive_reason == "Slack: channel_not_found"
    assert runtime.store.outbox.counts() == {"dropped": 1}
    assert runtime.store.subscriptions.active() == []


@pytest.mark.parametrize("code", ["not_in_channel", "is_archived", "account_inactive"])
async def test_other_gone_errors_deactivate_too(
    code: str, make_bot: type[SlackBot], feed_server: FeedServer, slack: FakeSlack, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    await bot.ask("subscribe Kazakhstan", user="U1", channel="D1")
    slack.fail_next("chat.postMessage", "D1", error(code))
    await deliver_story(bot, feed_server)
    await slack.next_sent()
    await bot.stop()
    channel = runtime.store.subscriptions.chat(ChatRef("slack", "D1"))
    assert channel is not None
    assert not channel.active
    assert channel.inactive_reason == f"Slack: {code}"


async def test_rate_limited_post_waits_for_retry_after(
    make_bot: type[SlackBot], feed_server: FeedServer, slack: FakeSlack
) -> None:
    bot = await make_bot().start()
    await bot.ask("subscribe Kazakhstan", user=ADMIN, channel="C1")
    slack.fail_next("chat.postMessage", "C1", rate_limited(1))
    await deliver_story(bot, feed_server)
    refused = await slack.next_sent()
    delivered = await slack.next_sent()
    assert refused.params["_failed"] == "ratelimited"
    assert delivered.params["channel"] == "C1"
    assert "_failed" not in delivered.params
    assert 1.0 <= delivered.at - refused.at < 2.5


async def test_refused_blocks_are_resent_as_plain_text(
    make_bot: type[SlackBot], feed_server: FeedServer, slack: FakeSlack
) -> None:
    bot = await make_bot().start()
    await bot.ask("subscribe Kazakhstan", user=ADMIN, channel="C1")
    slack.fail_next("chat.postMessage", "C1", error("invalid_blocks"))
    await deliver_story(bot, feed_server)
    refused = await slack.next_sent()
    plain = await slack.next_sent()
    assert refused.params["blocks"]
    assert "blocks" not in plain.params
    assert text_of(plain).startswith("ODIHR opens election observation mission in Kazakhstan\nhttps://wire.example/")


async def test_server_error_is_retried_later(
    make_bot: type[SlackBot], feed_server: FeedServer, slack: FakeSlack, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    await bot.ask("subscribe Kazakhstan", user=ADMIN, channel="C1")
    slack.fail_next("chat.postMessage", "C1", error("internal_error", status=500))
    await deliver_story(bot, feed_server)
    await slack.next_sent()
    await bot.stop()
    [[state, attempts, last_error]] = runtime.store.db.execute("SELECT state, attempts, last_error FROM outbox")
    assert (state, attempts) == ("pending", 1), "kept for a retry with backoff, channel still active"
    assert "internal_error" in last_error
    channel = runtime.store.subscriptions.chat(ChatRef("slack", "C1"))
    assert channel is not None
    assert channel.active


async def test_one_message_per_second_per_channel_by_default(
    make_bot: type[SlackBot], feed_server: FeedServer, slack: FakeSlack
) -> None:
    bot = await make_bot().start(rate_limits={"telegram": RateLimits()})  # Slack keeps its own limits
    await bot.ask("subscribe all", user=ADMIN, channel="C1")
    items = [
        {
            "title": f"Election commission update {n} in Kazakhstan",
            "link": f"https://n.example/{n}",
            "description": f"Election news number {n}.",
        }
        for n in range(3)
    ]
    url = feed_server.add("/many.xml", body=rss(items, title="Many"))
    await bot.ask(f"addfeed {url}", user=ADMIN, channel="D9")
    posts = [await slack.next_sent() for _ in range(3)]
    gaps = [b.at - a.at for a, b in itertools.pairwise(posts)]
    assert all(gap >= 0.95 for gap in gaps), gaps


async def test_story_reaches_a_slack_channel_and_a_telegram_chat_in_one_run(
    make_bot: type[SlackBot], feed_server: FeedServer, slack: FakeSlack, runtime: Runtime
) -> None:
    telegram = await FakeTelegram().start()
    try:
        runtime.settings = runtime.settings.model_copy(
            update={"telegram_bot_token": telegram.token, "telegram_api_base_url": telegram.base_url}
        )
        bot = await make_bot().start()
        assert {p.name for p in bot.platforms} == {"slack", "telegram"}
        await bot.ask("subscribe Kazakhstan", user=ADMIN, channel="C1")
        telegram.user_says("/subscribe odihr", chat_id=1001)
        assert str((await telegram.next_sent()).params["text"]).startswith("Subscribed to OSCE/ODIHR")
        await deliver_story(bot, feed_server)
        on_slack = await slack.next_sent()
        on_telegram = await telegram.next_sent()
        assert on_slack.method == "chat.postMessage"
        assert on_slack.params["channel"] == "C1"
        assert on_telegram.method == "sendMessage"
        assert on_telegram.params["chat_id"] == 1001
        assert "ODIHR opens election observation" in blocks_text(on_slack)
        assert "ODIHR opens election observation" in str(on_telegram.params["text"])
        await bot.stop()
        assert runtime.store.outbox.counts() == {"sent": 2}
    finally:
        await telegram.stop()


# --- start-up ------------------------------------------------------------------------------------


async def test_bad_token_fails_fast_with_a_clear_message(runtime: Runtime, slack: FakeSlack) -> None:
    platform = SlackPlatform(
        runtime.build_services(), "xoxb-wrong", signing_secret=SECRET, port=0, api_url=slack.api_url
    )
    with pytest.raises(ConfigError, match=r"Slack refused SLACK_BOT_TOKEN \(invalid_auth\)"):
        await platform.start()
    await platform.stop()


async def test_http_mode_needs_the_signing_secret(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"slack_signing_secret": None})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        build_platforms(settings, runtime.build_services())
    socket_mode = settings.model_copy(update={"slack_app_token": "xapp-1"})
    [platform] = build_platforms(socket_mode, runtime.build_services())
    assert platform.name == "slack", "Socket Mode needs no signing secret"


async def test_socket_mode_runs_commands_and_mentions_without_an_http_endpoint(
    make_bot: type[SlackBot], slack: FakeSlack, runtime: Runtime
) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"slack_app_token": slack.app_token, "slack_signing_secret": None}
    )
    bot = await make_bot().start()
    await slack.push("slash_commands", bot.command_payload("subscribe all", user="U1", channel="D1"), "env-1")
    assert (await slack.next_ack())["envelope_id"] == "env-1"
    reply = await slack.next_sent()
    assert reply.method == "response_url"
    assert text_of(reply).startswith("Subscribed to all relevant stories")
    mention = bot.event_payload("<@UBOT> subscriptions", channel="D1", event_id="EvS")
    await slack.push("events_api", mention, "env-2")
    await slack.push("events_api", mention, "env-3")  # the same event again, as a retry
    acks = {(await slack.next_ack())["envelope_id"] for _ in range(2)}
    assert acks == {"env-2", "env-3"}, "both acked"
    answer = await slack.next_sent()
    assert text_of(answer).startswith("This chat follows:")
    await bot.stop()
    assert len(slack.posted_to("D1")) == 1, "the retried event was not handled twice"


async def test_socket_mode_refused_app_token_fails_fast(runtime: Runtime, slack: FakeSlack) -> None:
    platform = SlackPlatform(runtime.build_services(), slack.token, app_token="xapp-wrong", api_url=slack.api_url)
    with pytest.raises(ConfigError, match=r"Slack refused SLACK_APP_TOKEN \(invalid_auth\)"):
        await asyncio.wait_for(platform.start(), 5)
    await platform.stop()


# --- rendering (pure) ----------------------------------------------------------------------------


HOSTILE = Summary(
    story_id=1,
    title="<!channel> Vote & win <@U123> <http://evil.example|bank> @here",
    link="https://x.example/a?b=1&c=<2>|3",
    lead="Lead <!here> & <#C1|general> " * 200,
    countries=("🇰🇿 Kazakhstan",),
    bodies=("OSCE/ODIHR",),
    source="Feed <@U999>",
    published=datetime(2026, 4, 27, tzinfo=UTC),
    also=("<!everyone>",),
)


def test_blocks_escape_hostile_feed_text() -> None:
    blocks, fallback = render_blocks(HOSTILE)
    section = blocks[0]["text"]["text"]
    everything = json.dumps(blocks, ensure_ascii=False) + fallback
    for forbidden in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U999>", "<http://evil", "<#C1"):
        assert forbidden not in everything
    assert section.startswith(
        "*<https://x.example/a?b=1&amp;c=%3C2%3E%7C3|&lt;!channel&gt; Vote &amp; win &lt;@U123&gt; "
        "&lt;http://evil.example|bank&gt; @\u2060here>*"
    )
    # the only Slack control sequence is our own link
    assert re.findall(r"<[^>]*>", everything) == [
        "<https://x.example/a?b=1&amp;c=%3C2%3E%7C3|"
        "&lt;!channel&gt; Vote &amp; win &lt;@U123&gt; &lt;http://evil.example|bank&gt; @\u2060here>"
    ]
    assert all(len(block["text"]["text"]) <= 3000 for block in blocks if "text" in block)
    assert not re.search(r"&[a-z]*…", section), "never cut inside an entity"
    assert all(element["verbatim"] for element in blocks[1]["elements"])
    assert blocks[1]["elements"][1]["text"] == "Feed &lt;@U999&gt;, 27 Apr 2026"
    assert len(fallback) <= 40_000


def test_huge_headline_and_link_never_break_the_section() -> None:
    long = Summary(**{**HOSTILE.__dict__, "title": "& " * 5000, "link": "https://x.example/" + "a" * 1980})
    section = render_blocks(long)[0][0]["text"]["text"]
    assert len(section) <= 3000
    assert section.count("<") == section.count(">") == 1, "the link is whole"
    too_long = Summary(**{**long.__dict__, "link": "https://x.example/" + "a" * 2100})
    section = render_blocks(too_long)[0][0]["text"]["text"]
    assert "<" not in section, "an over-long URL is left out of the headline"
    assert len(section) <= 3000


def test_links_only_for_http_urls() -> None:
    blocks, _ = render_blocks(Summary(**{**HOSTILE.__dict__, "link": "javascript:alert(1)", "lead": ""}))
    assert blocks[0]["text"]["text"].startswith("*&lt;!channel&gt;")
    assert "<" not in blocks[0]["text"]["text"]


def test_fallback_is_cut_to_slack_limits() -> None:
    huge = Summary(**{**HOSTILE.__dict__, "lead": "& " * 50_000})
    text = render_plain(huge)
    assert len(text) <= 40_000
    assert text.endswith("…")
    assert not re.search(r"&[a-z]*…$", text)


def test_replies_are_escaped_split_and_speak_slack() -> None:
    [message] = render_reply(Reply("Try /subscribe all or /help; not https://x.example/help <!here> & co"))
    assert (
        message.text
        == "Try /electionwatch subscribe all or /electionwatch help; not https://x.example/help &lt;!here&gt; &amp; co"
    )
    long = render_reply(Reply("line & more\n" * 1000, stories=(HOSTILE,) * 30))
    assert all(len(m.blocks) <= 50 for m in long)
    assert all(len(b["text"]["text"]) <= 3000 for m in long for b in m.blocks if "text" in b)
    sections = [b["text"]["text"] for m in long for b in m.blocks if b["type"] == "section"]
    assert sum(text.count("line &amp; more") for text in sections) == 1000, "no line lost or cut at a split"


def test_to_command_reads_slack_markup() -> None:
    command = to_command("addfeed <https://a.example/rss?x=1&amp;y=2|a.example/rss> Wire &amp; Co", "C9", "U1")
    assert (command.name, command.args) == ("addfeed", "https://a.example/rss?x=1&y=2 Wire & Co")
    assert command.chat == ChatRef("slack", "C9")
    assert command.is_group
    assert not to_command("", "D1", "U1").is_group
    assert to_command("", "D1", "U1").name == "help"
    assert to_command("LATEST  Kazakhstan\n2", "C1", "U1").args == "Kazakhstan\n2"


def test_seen_events_memory_is_bounded() -> None:
    seen = SeenEvents(capacity=3)
    assert [seen.first_time(e) for e in ("a", "b", "a", "c", "d")] == [True, True, False, True, True]
    assert seen.first_time("a"), "the oldest id was forgotten"
    assert len(seen._ids) == 3


# --- docs ----------------------------------------------------------------------------------------


def test_manifest_and_readme_cover_every_command() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    [slash] = manifest["features"]["slash_commands"]
    assert slash["command"] == "/electionwatch"
    assert slash["url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "app_mentions:read", "users:read", "channels:history", "groups:history"} <= scopes
    described = slash["description"] + " " + slash["usage_hint"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    slack_section = readme.split("## Slack", 1)[1].split("\n## ", 1)[0]
    for name in COMMANDS:
        assert re.search(rf"\b{name}\b", described), f"{name} missing from slack/manifest.yaml"
        assert f"/electionwatch {name}" in slack_section, f"{name} missing from the README's Slack section"


def test_stories_blocks_fit_when_many_in_a_reply() -> None:
    messages = render_reply(Reply("Latest:", stories=(HOSTILE,) * 10))
    assert len(messages) == 1
    assert len(messages[0].blocks) == 21
    assert isinstance(messages[0].blocks[1]["text"]["text"], str)
