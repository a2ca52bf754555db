"""The real python-telegram-bot against the fake Bot API: commands, rules, deliveries and failures."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from bot.app import Runtime
from bot.models import ChatRef, Summary
from bot.notices import AdminNotifier
from bot.pipeline.deliver import RateLimits
from bot.pipeline.schedule import DISABLE_AFTER_FAILURES
from bot.platforms.telegram import render_reply_html, render_summary_html
from handlers import COMMANDS
from handlers.types import Reply
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import BAD_ENTITIES, BLOCKED, FakeTelegram, migrated, retry_after
from tests.platforms.conftest import ADMIN, RunningBot

STORY = {
    "title": "ODIHR opens election observation mission in Kazakhstan",
    "link": "https://wire.example/odihr-opens",
    "guid": "w-1",
    "description": "The OSCE/ODIHR mission opened in Astana ahead of the early presidential election.",
}


def feeds_yaml(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n" + "".join(f"  - url: {url}\n    name: Outlet{n}\n" for n, url in enumerate(urls, 1)))
    return path


async def test_start_help_and_command_menu(make_bot: type[RunningBot], telegram: FakeTelegram) -> None:
    bot = await make_bot().start()
    assert [c["command"] for c in telegram.commands] == list(COMMANDS)
    [text] = await bot.ask("/start")
    assert "ElectionWatch follows election-observation news" in text
    assert "/subscribe TERMS" in text
    assert "/addfeed" not in text, "admin commands are listed only for admins"
    [text] = await bot.ask("/help", user_id=ADMIN, chat_id=ADMIN)
    assert "/addfeed URL [name]" in text
    assert "follows nothing yet" in text


async def test_subscribe_list_unsubscribe(make_bot: type[RunningBot]) -> None:
    bot = await make_bot().start()
    [text] = await bot.ask("/subscribe Kazakhstan odihr")
    assert text == "Subscribed to 🇰🇿 Kazakhstan + OSCE/ODIHR. No stored story matches yet; new ones will arrive here."
    [text] = await bot.ask('/subscribe KZ "early elections" -referendum')
    assert text.startswith("Subscribed to 🇰🇿 Kazakhstan + “early elections” + not “referendum”.")
    [text] = await bot.ask("/subscribe Казахстан ODIHR")
    assert text == "This chat already follows 🇰🇿 Kazakhstan + OSCE/ODIHR."
    [text] = await bot.ask("/subscriptions")
    assert "1. 🇰🇿 Kazakhstan + OSCE/ODIHR" in text
    assert "2. 🇰🇿 Kazakhstan + “early elections” + not “referendum”" in text
    [text] = await bot.ask("/unsubscribe 2")
    assert text.startswith("Unsubscribed from 🇰🇿 Kazakhstan + “early elections”")
    [text] = await bot.ask("/unsubscribe 5")
    assert "There is no subscription 5" in text
    [text] = await bot.ask("/unsubscribe all")
    assert text == "Unsubscribed from 🇰🇿 Kazakhstan + OSCE/ODIHR."


async def test_unknown_term_suggests_and_saves_nothing(make_bot: type[RunningBot], runtime: Runtime) -> None:
    bot = await make_bot().start()
    [text] = await bot.ask("/subscribe Kazakstan")
    assert text.startswith("I don't know “Kazakstan”. Did you mean Kazakhstan")
    assert runtime.store.subscriptions.active() == []
    [text] = await bot.ask("/subscribe")
    assert "Say what to follow" in text
    [text] = await bot.ask("/frobnicate")
    assert "I don't know /frobnicate" in text


async def test_group_rules(make_bot: type[RunningBot], telegram: FakeTelegram) -> None:
    bot = await make_bot().start()
    group = {"chat_id": -100500, "chat_type": "supergroup"}
    [text] = await bot.ask("/subscribe Kazakhstan", user_id=7, **group)
    assert text == "Only this group's administrators can change its subscriptions."
    telegram.admins["-100500"] = {8}
    [text] = await bot.ask("/subscribe Kazakhstan", user_id=8, **group)
    assert text.startswith("Subscribed to 🇰🇿 Kazakhstan")
    [text] = await bot.ask("/subscribe all", user_id=ADMIN, **group)
    assert text.startswith("Subscribed to all relevant stories")
    [text] = await bot.ask("/subscriptions", user_id=7, **group)
    assert "1. 🇰🇿 Kazakhstan" in text, "anyone may read the group's subscriptions"


async def test_admin_commands_and_refusal(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    url = feed_server.add("/wire.xml", body=rss([STORY], title="Wire"))
    [text] = await bot.ask(f"/addfeed {url}", user_id=5, chat_id=5)
    assert text == "Sorry, only the bot's administrators can manage feeds."
    [text] = await bot.ask(f"/addfeed {url} Wire service", user_id=ADMIN, chat_id=ADMIN)
    assert text == "Added feed #1: Wire service. It is polled now and every 10 minutes."
    for _ in range(300):
        if runtime.store.items.count():
            break
        await asyncio.sleep(0.01)
    assert runtime.store.items.count() == 1, "a feed added from chat is polled at once"
    [text] = await bot.ask(f"/addfeed {url}", user_id=ADMIN, chat_id=ADMIN)
    assert "already polled as #1" in text
    broken = feed_server.add("/page.html", body=b"<html><body>hi</body></html>")
    [text] = await bot.ask(f"/addfeed {broken}", user_id=ADMIN, chat_id=ADMIN)
    assert text == "I could not use that feed: the URL returned an HTML page, not a feed."
    [text] = await bot.ask("/addfeed file:///etc/passwd", user_id=ADMIN, chat_id=ADMIN)
    assert text == "That is not an http(s) feed URL."
    [text] = await bot.ask("/feeds", user_id=ADMIN, chat_id=ADMIN)
    assert "#1 Wire service — ok; last success" in text
    [text] = await bot.ask("/pausefeed 1", user_id=ADMIN, chat_id=ADMIN)
    assert text.startswith("Paused feed #1")
    [text] = await bot.ask("/feeds", user_id=ADMIN, chat_id=ADMIN)
    assert "#1 Wire service — paused" in text
    [text] = await bot.ask("/resumefeed 1", user_id=ADMIN, chat_id=ADMIN)
    assert text == "Resumed feed #1: Wire service."
    [text] = await bot.ask(f"/removefeed {url}", user_id=ADMIN, chat_id=ADMIN)
    assert text == "Removed feed #1: Wire service."
    [text] = await bot.ask("/removefeed 9", user_id=ADMIN, chat_id=ADMIN)
    assert "No feed “9”" in text


async def test_private_addresses_refused_unless_allowed(make_bot: type[RunningBot], runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"allow_private_feeds": False})
    bot = await make_bot().start()
    [text] = await bot.ask("/addfeed http://127.0.0.1:9/feed", user_id=ADMIN, chat_id=ADMIN)
    assert text == "I could not use that feed: 127.0.0.1 resolves to 127.0.0.1, a private or reserved address."
    [text] = await bot.ask("/addfeed http://user:pw@news.example/feed", user_id=ADMIN, chat_id=ADMIN)
    assert "user name or password" in text


async def test_story_delivered_once_then_edited_for_new_outlets(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram
) -> None:
    urls = [feed_server.add(f"/o{n}.xml", body=rss([STORY], title=f"Outlet{n}")) for n in (1, 2, 3)]
    bot = await make_bot().start()
    await bot.ask("/subscribe Kazakhstan")
    await bot.ask("/subscribe odihr", chat_id=-100900, chat_type="supergroup", user_id=ADMIN, thread_id=77)
    await bot.ask(f"/addfeed {urls[0]}", user_id=ADMIN, chat_id=ADMIN)
    first, second = await telegram.next_sent(), await telegram.next_sent()
    sends = {str(c.params["chat_id"]): c for c in (first, second)}
    assert set(sends) == {"1001", "-100900"}
    assert sends["-100900"].params["message_thread_id"] == 77
    text = sends["1001"].params["text"]
    assert text.startswith(
        '<b><a href="https://wire.example/odihr-opens">ODIHR opens election observation mission in Kazakhstan</a></b>'
    )
    assert "🇰🇿 Kazakhstan · OSCE/ODIHR" in text
    assert sends["1001"].params["parse_mode"] == "HTML"
    assert sends["1001"].params["link_preview_options"] == {"is_disabled": True}
    for url in urls[1:]:
        await bot.ask(f"/addfeed {url}", user_id=ADMIN, chat_id=ADMIN)
        edits = [await telegram.next_sent(), await telegram.next_sent()]
        assert {c.method for c in edits} == {"editMessageText"}
    last_edit = [c for c in telegram.calls if c.method == "editMessageText" and str(c.params["chat_id"]) == "1001"][-1]
    assert "also: Outlet2, Outlet3" in last_edit.params["text"]
    stories = [c for c in telegram.calls if c.method == "sendMessage" and str(c.params["text"]).startswith("<b><a")]
    assert len(stories) == 2, "one message per story per chat, later outlets arrive as edits"


async def deliver_story(bot: RunningBot, feed_server: FeedServer, name: str = "wire") -> None:
    url = feed_server.add(f"/{name}.xml", body=rss([STORY], title=name))
    await bot.ask(f"/addfeed {url}", user_id=ADMIN, chat_id=ADMIN)


async def test_retry_after_is_honoured_exactly(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram
) -> None:
    bot = await make_bot().start()
    await bot.ask("/subscribe Kazakhstan")
    telegram.fail_next("sendMessage", 1001, retry_after(1))
    await deliver_story(bot, feed_server)
    refused = await telegram.next_sent()
    delivered = await telegram.next_sent()
    assert delivered.params["chat_id"] == 1001
    assert delivered.at - refused.at >= 1.0
    assert delivered.at - refused.at < 2.5


async def test_blocked_chat_is_deactivated(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    await bot.ask("/subscribe Kazakhstan")
    telegram.fail_next("sendMessage", 1001, BLOCKED)
    await deliver_story(bot, feed_server)
    await telegram.next_sent()
    for _ in range(100):
        chat = runtime.store.subscriptions.chat(ChatRef("telegram", "1001"))
        if chat is not None and not chat.active:
            break
        await asyncio.sleep(0.02)
    assert chat is not None
    assert not chat.active
    assert "blocked" in (chat.inactive_reason or "")
    assert runtime.store.outbox.counts() == {"dropped": 1}
    assert runtime.store.subscriptions.active() == []


async def test_migrated_group_moves_subscriptions_and_resends(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    await bot.ask("/subscribe Kazakhstan", chat_id=-500, chat_type="group", user_id=ADMIN)
    telegram.fail_next("sendMessage", -500, migrated(-100777))
    await deliver_story(bot, feed_server)
    refused = await telegram.next_sent()
    resent = await telegram.next_sent()
    assert refused.params["chat_id"] == -500
    assert resent.params["chat_id"] == -100777
    assert runtime.store.subscriptions.chat(ChatRef("telegram", "-500")) is None
    moved = runtime.store.subscriptions.chat(ChatRef("telegram", "-100777"))
    assert moved is not None
    assert len(runtime.store.subscriptions.for_chat(moved.id)) == 1


async def test_formatting_refused_resends_as_plain_text(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram
) -> None:
    bot = await make_bot().start()
    await bot.ask("/subscribe Kazakhstan")
    telegram.fail_next("sendMessage", 1001, BAD_ENTITIES)
    await deliver_story(bot, feed_server)
    refused = await telegram.next_sent()
    plain = await telegram.next_sent()
    assert refused.params["parse_mode"] == "HTML"
    assert "parse_mode" not in plain.params
    assert plain.params["text"].startswith(
        "ODIHR opens election observation mission in Kazakhstan\nhttps://wire.example/"
    )


async def test_restart_resumes_a_non_empty_outbox(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    await bot.ask("/subscribe Kazakhstan")
    await bot.stop()
    # Ingest while no sender runs: the delivery waits in the outbox.
    url = feed_server.add("/later.xml", body=rss([STORY], title="Later"))
    await runtime.db(runtime.store.feeds.add, FeedConfigFor(url), runtime.clock.now(), "test")
    from bot.pipeline.poll import poll_feed

    feed = runtime.store.feeds.by_url(url)
    assert feed is not None
    await poll_feed(feed, runtime.deps)
    assert runtime.store.outbox.counts() == {"pending": 1}
    # a row left 'sending' by a crash is sent again after the restart (at-least-once)
    runtime.store.db.execute("UPDATE outbox SET state = 'sending'")
    await make_bot().start()
    delivered = await telegram.next_sent()
    assert delivered.params["chat_id"] == 1001
    assert str(delivered.params["text"]).startswith("<b><a")
    for _ in range(100):
        if runtime.store.outbox.counts() == {"sent": 1}:
            break
        await asyncio.sleep(0.02)
    assert runtime.store.outbox.counts() == {"sent": 1}


def FeedConfigFor(url: str) -> object:
    from bot.models import FeedConfig

    return FeedConfig(url, "Later", None, 600)


async def test_per_chat_rate_limit_with_default_limits(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram
) -> None:
    bot = await make_bot().start(rate_limits={"telegram": RateLimits()})
    await bot.ask("/subscribe all")
    items = [
        {
            "title": f"Election commission update {n} in Kazakhstan",
            "link": f"https://n.example/{n}",
            "description": f"Election news number {n}.",
        }
        for n in range(3)
    ]
    url = feed_server.add("/many.xml", body=rss(items, title="Many"))
    await bot.ask(f"/addfeed {url}", user_id=ADMIN, chat_id=ADMIN)
    sends = [await telegram.next_sent() for _ in range(3)]
    gaps = [b.at - a.at for a, b in itertools.pairwise(sends)]
    assert all(gap >= 0.95 for gap in gaps), gaps


def test_html_escapes_feed_text_and_fits_the_limit() -> None:
    from datetime import UTC, datetime

    hostile = Summary(
        story_id=1,
        title="<script>alert(1)</script> & <b>bold</b>",
        link='https://x.example/a?b=1&c="2"',
        lead="Lead with <i>tags</i> & ampersands " * 200,
        countries=("🇰🇿 Kazakhstan",),
        bodies=("OSCE/ODIHR",),
        source="Feed <Name>",
        published=datetime(2026, 4, 27, tzinfo=UTC),
        also=tuple(f"Outlet {n}" for n in range(500)),
    )
    text = render_summary_html(hostile)
    assert len(text) <= 4096
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text
    assert 'href="https://x.example/a?b=1&amp;c=&quot;2&quot;"' in text
    js = render_summary_html(Summary(**{**hostile.__dict__, "link": "javascript:alert(1)", "also": ()}))
    assert "href" not in js
    long_reply = render_reply_html(Reply("line & more\n" * 1000))
    assert all(len(part) <= 4096 for part in long_reply)
    assert "".join(long_reply).count("&amp;") == 1000


async def test_latest_search_explain_and_backlog_count(
    make_bot: type[RunningBot], feed_server: FeedServer, runtime: Runtime
) -> None:
    items = [
        {
            "title": f"Election commission of Kazakhstan publishes update {n}",
            "link": f"https://n.example/{n}",
            "pubDate": f"Mon, {n + 1:02d} Jun 2026 10:00:00 +0000",
            "description": f"Turnout figure number {n} & early elections." + (" Recount ordered." if n == 3 else ""),
        }
        for n in range(12)
    ]
    items.append({"title": "Weather in Almaty", "link": "https://n.example/w", "description": "Sunny."})
    url = feed_server.add("/many.xml", body=rss(items, title="Many"))
    bot = await make_bot().start()
    await bot.ask(f"/addfeed {url}", user_id=ADMIN, chat_id=ADMIN)
    for _ in range(300):
        if runtime.store.items.count() == 13:
            break
        await asyncio.sleep(0.01)
    [text] = await bot.ask("/subscribe Kazakhstan")
    assert text == "Subscribed to 🇰🇿 Kazakhstan. 12 stored stories match: /latest shows them."
    header, stories, more = await bot.ask("/latest", replies=3)
    assert header == "Latest stories for this chat's subscriptions:"
    assert stories.count("<b><a href=") == 10
    assert stories.index("update 11") < stories.index("update 2"), "newest first"
    assert "&amp; early elections" in stories
    assert more == "More: /latest 2"
    header, stories = await bot.ask("/latest 2", replies=2)
    assert header == "Latest stories for this chat's subscriptions, page 2:"
    assert stories.count("<b><a href=") == 2
    header, stories = await bot.ask("/latest Kyrgyzstan", replies=1) + [""]
    assert header == "No stories for 🇰🇬 Kyrgyzstan yet."
    header, found = await bot.ask("/search recount", replies=2)
    assert header == "Found for “recount”:"
    assert found.count("<b><a href=") == 1
    assert "update 3" in found
    [text] = await bot.ask('/search "nothing-like-this"')
    assert text == "Nothing found for “nothing-like-this”."
    [text] = await bot.ask("/search")
    assert text == "Say what to look for: /search early elections"
    [text] = await bot.ask("/explain https://n.example/3")
    assert "Relevant: yes" in text
    assert "Countries: 🇰🇿 Kazakhstan" in text
    assert "relevant: “election” (keyword)" in text
    [text] = await bot.ask("/explain https://unknown.example/x")
    assert text == "I have no item with that link."


async def test_network_errors_retry_with_backoff(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram, runtime: Runtime
) -> None:
    bot = await make_bot().start()
    await bot.ask("/subscribe Kazakhstan")
    telegram.fail_next("sendMessage", 1001, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    await deliver_story(bot, feed_server)
    await telegram.next_sent()
    for _ in range(100):
        counts = runtime.store.outbox.counts()
        if counts.get("pending"):
            break
        await asyncio.sleep(0.02)
    row = runtime.store.db.execute("SELECT state, attempts, last_error, next_attempt_at FROM outbox").fetchone()
    assert row[0] == "pending"
    assert row[1] == 1
    assert "Bad Gateway" in row[2]
    assert row[3] > runtime.clock.now().isoformat(timespec="seconds"), "retried later, not at once"


async def test_row_9_admins_are_told_once_when_a_feed_is_suspended(
    make_bot: type[RunningBot], feed_server: FeedServer, telegram: FakeTelegram, runtime: Runtime, tmp_path: Path
) -> None:
    url = feed_server.add("/broken.xml", status=503)
    config = feeds_yaml(tmp_path, url)
    runtime.sync_config(config)
    [feed] = runtime.store.feeds.all()
    now = runtime.clock.now()
    runtime.store.feeds.record_failure(
        feed.id, now, error="HTTP 503", status=503, failures=DISABLE_AFTER_FAILURES - 1, next_poll=now, disable=False
    )
    bot = await make_bot(config).start()
    notice = await telegram.next_sent()
    assert notice.method == "sendMessage"
    assert str(notice.params["chat_id"]) == str(ADMIN)
    text = str(notice.params["text"])
    assert text.startswith(f"Feed suspended: Outlet1 ({url}) failed {DISABLE_AFTER_FAILURES} polls in a row")
    assert "503" in text
    assert f"/resumefeed {feed.id}" in text
    stored = runtime.store.feeds.get(feed.id)
    assert stored is not None
    assert not stored.enabled
    await bot.stop()
    # A restart re-reads feeds.yaml (which still says enabled): the suspended feed stays off, nobody is told twice.
    await make_bot(config).start()
    await asyncio.sleep(0.3)
    stored = runtime.store.feeds.get(feed.id)
    assert stored is not None
    assert not stored.enabled
    assert stored.disabled_reason
    notices = [c for c in telegram.calls if str(c.params.get("text", "")).startswith("Feed suspended")]
    assert len(notices) == 1


async def test_an_unreachable_admin_does_not_stop_the_notice_to_the_others() -> None:
    class Recording:
        def __init__(self, name: str, fail: bool = False) -> None:
            self.name, self.fail, self.told = name, fail, []  # type: ignore[var-annotated]

        async def tell(self, user_id: str, text: str) -> None:
            if self.fail:
                raise ConnectionError("unreachable")
            self.told.append((user_id, text))

    telegram_side, slack_side = Recording("telegram", fail=True), Recording("slack")
    notifier = AdminNotifier(["telegram:1", "slack:U2", "matrix:3"], [telegram_side, slack_side])  # type: ignore[list-item]
    assert await notifier.tell("Feed suspended: X") == 1
    assert slack_side.told == [("U2", "Feed suspended: X")]
