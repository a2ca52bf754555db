"""Outbox policy for ambiguous sends (rows 48, 49, 55), two senders on one database (outbox test c)
and the Telegram timeout mapping."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from telegram.error import TimedOut

from bot.app import Runtime
from bot.clock import FrozenClock
from bot.dbthread import DbThread
from bot.errors import SendFailed
from bot.models import ChatRef, Summary
from bot.pipeline.deliver import ChatSender, OutboxWorker, RateLimits
from bot.platforms.slack import SlackPlatform, SlackSender
from bot.platforms.telegram import translate_error
from storage import Store, open_store
from storage.outbox import OutboxRow
from tests.conftest import START
from tests.fakes.slack_api import FakeSlack, error

CHAT = ChatRef("telegram", "5", None)
SLACK_CHAT = ChatRef("slack", "C1", None)
NO_LIMITS = RateLimits(per_chat_interval=0.0, group_per_minute=1000, global_per_second=1000)
FAST = {"telegram": NO_LIMITS, "slack": NO_LIMITS}


def summary_of(story_id: int) -> Summary:
    return Summary(story_id, "Election", f"https://n.example/{story_id}", "Lead", (), (), "Feed", START)


class FlakySender:
    """Records every send ("the platform showed it"), then answers from a script of outcomes."""

    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes = outcomes
        self.shown = 0

    async def send(self, chat: ChatRef, summary: Summary, *, plain: bool, delivery_id: int) -> str:
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if not isinstance(outcome, SendFailed) or outcome.maybe_sent:
            self.shown += 1
        if outcome is not None:
            raise outcome
        return str(self.shown)

    async def edit(self, chat: ChatRef, message_id: str, summary: Summary, *, plain: bool) -> None:
        return None

    async def reconcile(self, chat: ChatRef, summary: Summary, *, delivery_id: int, since: datetime) -> str | None:
        return None


def queue_one(store: Store, chat_ref: ChatRef = CHAT) -> int:
    """One story for one chat; the outbox row's id."""
    chat = store.subscriptions.ensure_chat(chat_ref, START, None, False)
    story = store.items.new_story(START)
    store.outbox.enqueue(story, [chat.id], START)
    store.db.conn.commit()
    return int(store.db.execute("SELECT max(id) FROM outbox").fetchone()[0])


async def drive(store: Store, sender: FlakySender, clock: FrozenClock, rounds: int) -> str:
    """Run the worker for ``rounds`` rounds, an hour apart; return the row's final state."""
    db = DbThread()
    summary = Summary(1, "Election", "https://n.example/1", "Lead", (), (), "Feed", START)
    worker = OutboxWorker(store, db, clock, {"telegram": sender}, lambda story_id: summary, FAST)
    try:
        for _ in range(rounds):
            await worker.drain_once()
            await worker.finish_in_flight()
            clock.advance(3600)
        return str(store.db.execute("SELECT state FROM outbox").fetchone()[0])
    finally:
        db.close()


async def test_row_48_timeout_after_write_resent_once_then_given_up(store: Store, clock: FrozenClock) -> None:
    """Row 48: the platform shows the message and the answer times out, every time → at most 2 copies."""
    queue_one(store)
    sender = FlakySender([SendFailed("read timeout", maybe_sent=True) for _ in range(10)])
    state = await drive(store, sender, clock, rounds=6)
    assert sender.shown == 2
    assert state == "dead"
    error = store.db.execute("SELECT last_error FROM outbox").fetchone()[0]
    assert error.startswith("in doubt twice, not resent again")


async def test_row_48_in_doubt_row_is_uncertain_then_resent_after_a_delay(store: Store, clock: FrozenClock) -> None:
    """Row 48: after an ambiguous timeout the row is 'uncertain' with a delay; the resend succeeds → ≤ 2, ≥ 1."""
    queue_one(store)
    sender = FlakySender([SendFailed("read timeout", maybe_sent=True), None])
    db = DbThread()
    summary = Summary(1, "Election", "https://n.example/1", "Lead", (), (), "Feed", START)
    worker = OutboxWorker(store, db, clock, {"telegram": sender}, lambda story_id: summary, FAST)
    try:
        await worker.drain_once()
        await worker.finish_in_flight()
        state, due = store.db.execute("SELECT state, next_attempt_at FROM outbox").fetchone()
        assert state == "uncertain"
        assert due > START.isoformat()
        await worker.drain_once()  # not due yet: no tight loop
        await worker.finish_in_flight()
        assert sender.shown == 1
        clock.advance(3600)
        await worker.drain_once()
        await worker.finish_in_flight()
    finally:
        db.close()
    assert store.db.execute("SELECT state FROM outbox").fetchone()[0] == "sent"
    assert 1 <= sender.shown <= 2


async def test_row_49_failures_before_sending_retry_until_delivered_once(store: Store, clock: FrozenClock) -> None:
    """Row 49: connect errors / 502 before the request reached the platform → backoff, delivered exactly once."""
    queue_one(store)
    sender = FlakySender([SendFailed("connect error") for _ in range(5)])
    state = await drive(store, sender, clock, rounds=7)
    assert state == "sent"
    assert sender.shown == 1


def test_row_48_telegram_timeouts_mapped_by_whether_the_request_left() -> None:
    """Row 48/49: a read timeout may have delivered; a connect or pool timeout has not."""

    def timed_out(cause: Exception) -> TimedOut:
        error = TimedOut()
        error.__cause__ = cause
        return error

    read = translate_error(timed_out(httpx.ReadTimeout("slow")))
    connect = translate_error(timed_out(httpx.ConnectTimeout("down")))
    pool = translate_error(timed_out(httpx.PoolTimeout("busy")))
    assert isinstance(read, SendFailed)
    assert read.maybe_sent
    assert isinstance(connect, SendFailed)
    assert not connect.maybe_sent
    assert isinstance(pool, SendFailed)
    assert not pool.maybe_sent


def test_row_47_chat_not_found_deactivates_instead_of_retrying() -> None:
    """Row 47: "chat not found" is a gone chat (subscription deactivated), not a formatting or network error."""
    from telegram.error import BadRequest

    from bot.errors import ChatGone

    assert isinstance(translate_error(BadRequest("Bad Request: chat not found")), ChatGone)


# --- row 55: Slack posts in doubt are looked up by their metadata before they are sent again ----------


@pytest.fixture
async def slack(clock: FrozenClock) -> AsyncIterator[FakeSlack]:
    # Slack stamps messages with its own clock; here it is the bot's frozen one, so windows line up.
    server = await FakeSlack(now=lambda: clock.now().timestamp()).start()
    yield server
    await server.stop()


def platform_sender(runtime: Runtime, slack: FakeSlack) -> ChatSender:
    """The sender exactly as the Slack platform builds it (its client must not resend on its own)."""
    return SlackPlatform(runtime.build_services(), slack.token, signing_secret="unused", api_url=slack.api_url).sender


def slack_worker(runtime: Runtime, clock: FrozenClock, sender: ChatSender) -> OutboxWorker:
    return OutboxWorker(runtime.store, runtime.db, clock, {"slack": sender}, summary_of, FAST)


async def deliver_round(worker: OutboxWorker) -> None:
    await worker.drain_once()
    await worker.finish_in_flight()


def row_state(store: Store, row_id: int) -> tuple[str, str | None]:
    state, message_id = store.db.execute("SELECT state, message_id FROM outbox WHERE id = ?", (row_id,)).fetchone()
    return str(state), message_id


def story_of(store: Store, row_id: int) -> int:
    return int(store.db.execute("SELECT story_id FROM outbox WHERE id = ?", (row_id,)).fetchone()[0])


def outbox_ids(messages: list[dict[str, object]]) -> list[object]:
    return [m["metadata"]["event_payload"]["outbox_id"] for m in messages if "metadata" in m]  # type: ignore[index]


async def test_row_55_post_accepted_then_connection_dropped_is_found_not_posted_again(
    runtime: Runtime, slack: FakeSlack, clock: FrozenClock
) -> None:
    """Row 55: Slack keeps the post, the connection drops before its answer → the retry finds the message
    by its metadata instead of posting again; one message in the channel, brought up to date by an edit."""
    store = runtime.store
    row_id = queue_one(store, SLACK_CHAT)
    story_id = story_of(store, row_id)
    also: list[str] = []

    def summary(story: int) -> Summary:
        return Summary(story, "Election", "https://n.example/1", "Lead", (), (), "Feed", START, tuple(also))

    worker = OutboxWorker(runtime.store, runtime.db, clock, {"slack": platform_sender(runtime, slack)}, summary, FAST)
    slack.drop_after_accept("chat.postMessage", "C1")
    await deliver_round(worker)
    assert len(slack.posted_to("C1")) == 1, "the Slack client did not repost by itself after the drop"
    assert row_state(store, row_id) == ("uncertain", None)

    also.append("Outlet2")  # another source while the post is in doubt
    clock.advance(3600)
    await deliver_round(worker)
    [message] = slack.visible("C1")
    assert len(slack.posted_to("C1")) == 1
    assert message["metadata"] == {
        "event_type": "electionwatch_story",
        "event_payload": {"outbox_id": row_id, "story_id": story_id},
    }
    [lookup] = [call for call in slack.calls if call.method == "conversations.history"]
    assert lookup.params["include_all_metadata"] in {"1", "true"}
    # The window starts at the first claim (START), not at the retry an hour later.
    assert START.timestamp() - 300 <= float(lookup.params["oldest"]) < float(message["ts"])
    assert row_state(store, row_id) == ("sent", message["ts"])

    await deliver_round(worker)
    [update] = [call for call in slack.calls if call.method == "chat.update"]
    assert update.params["ts"] == message["ts"], "the found message is the one brought up to date"
    assert "also: Outlet2" in str(message["text"])
    assert len(slack.visible("C1")) == 1


async def test_row_55_row_left_sending_by_a_crash_is_found_among_newer_messages(
    runtime: Runtime, slack: FakeSlack, clock: FrozenClock
) -> None:
    """Row 55: the process posted and died before marking the row sent; at restart the row is in doubt and
    the post is found in the history, two pages back behind people's messages."""
    store = runtime.store
    row_id = queue_one(store, SLACK_CHAT)
    sender = SlackSender(AsyncWebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[]), history_page=2)
    assert store.outbox.claim(row_id, clock.now())
    ts = await sender.send(SLACK_CHAT, summary_of(story_of(store, row_id)), plain=False, delivery_id=row_id)
    clock.advance(600)
    for n in range(5):
        slack.someone_posts("C1", f"turnout update {n}")
    assert store.outbox.recover_in_flight() == 1

    await deliver_round(slack_worker(runtime, clock, sender))
    assert row_state(store, row_id) == ("sent", ts)
    assert len(slack.posted_to("C1")) == 1
    assert outbox_ids(slack.visible("C1")) == [row_id]
    assert len([call for call in slack.calls if call.method == "conversations.history"]) == 3


async def test_row_55_post_that_did_not_land_is_sent_once_and_not_confused_with_another(
    runtime: Runtime, slack: FakeSlack, clock: FrozenClock
) -> None:
    """Row 55: the history shows only another story's post → this one is sent again, exactly once."""
    store = runtime.store
    worker = slack_worker(runtime, clock, platform_sender(runtime, slack))
    first = queue_one(store, SLACK_CHAT)
    await deliver_round(worker)
    second = queue_one(store, SLACK_CHAT)
    slack.drop_after_accept("chat.postMessage", "C1")
    await deliver_round(worker)
    slack.history["C1"].pop()  # Slack lost it after all
    clock.advance(3600)
    await deliver_round(worker)
    assert outbox_ids(slack.visible("C1")) == [first, second]
    assert [row_state(store, row)[0] for row in (first, second)] == ["sent", "sent"]


async def test_row_55_unreadable_history_falls_back_to_sending_again_with_one_warning(
    runtime: Runtime, slack: FakeSlack, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Row 55: without the history scopes the in-doubt posts are sent again (at-least-once), warned once."""
    store = runtime.store
    rows = [queue_one(store, SLACK_CHAT), queue_one(store, SLACK_CHAT)]
    worker = slack_worker(runtime, clock, platform_sender(runtime, slack))
    slack.drop_after_accept("chat.postMessage", "C1", times=2)
    await deliver_round(worker)
    slack.fail_next("conversations.history", "C1", error("missing_scope"), error("missing_scope"))
    clock.advance(3600)
    with caplog.at_level(logging.WARNING, logger="bot.platforms.slack.sender"):
        await deliver_round(worker)
    assert sorted(outbox_ids(slack.visible("C1"))) == sorted(rows * 2)
    assert [row_state(store, row)[0] for row in rows] == ["sent", "sent"]
    [warning] = [record for record in caplog.records if record.name == "bot.platforms.slack.sender"]
    assert "missing_scope" in warning.getMessage()


# --- outbox test (c): two senders on one database ------------------------------------------------------


class SharedPlatform:
    """One platform both senders post to; counts every message it shows and every claim a sender lost."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.shown: Counter[int] = Counter()
        self.lost_claims = 0

    def sender(self) -> ChatSender:
        platform = self

        class Sender:
            async def send(self, chat: ChatRef, summary: Summary, *, plain: bool, delivery_id: int) -> str:
                with platform.lock:
                    platform.shown[delivery_id] += 1
                return str(delivery_id)

            async def edit(self, chat: ChatRef, message_id: str, summary: Summary, *, plain: bool) -> None:
                return None

            async def reconcile(
                self, chat: ChatRef, summary: Summary, *, delivery_id: int, since: datetime
            ) -> str | None:
                return None

        return Sender()


def open_rows(store: Store) -> int:
    counts = store.outbox.counts()
    return sum(counts.get(state, 0) for state in ("pending", "sending", "uncertain"))


def run_sender(path: Path, platform: SharedPlatform, together: threading.Barrier) -> None:
    """A second process, as far as the database can tell: its own connection, thread and event loop."""
    store = open_store(path)
    due, claim = store.outbox.due, store.outbox.claim
    first_read = True

    def due_together(now: datetime, limit: int) -> list[OutboxRow]:
        # Left alone, one sender can claim a whole batch before the other has read it (SQLite's busy
        # wait favours the writer that holds on); reading the first batch together makes them compete.
        nonlocal first_read
        rows = due(now, limit)
        if first_read:
            first_read = False
            together.wait(10)
        return rows

    def counted_claim(row_id: int, now: datetime) -> bool:
        won = claim(row_id, now)
        if not won:
            with platform.lock:
                platform.lost_claims += 1
        return won

    store.outbox.due = due_together  # type: ignore[method-assign]
    store.outbox.claim = counted_claim  # type: ignore[method-assign]

    async def drain() -> None:
        db = DbThread()
        worker = OutboxWorker(store, db, FrozenClock(START), {"telegram": platform.sender()}, summary_of, FAST)
        try:
            while await db(open_rows, store):
                await deliver_round(worker)
        finally:
            db.close()

    try:
        asyncio.run(drain())
    finally:
        store.close()


def test_outbox_c_two_senders_on_one_database_send_every_row_exactly_once(tmp_path: Path) -> None:
    """Outbox test (c): two senders drain one outbox at the same time; the claim lets only one send a row."""
    path = tmp_path / "bot.db"
    store = open_store(path)
    with store.transaction():
        chats = [
            store.subscriptions.ensure_chat(ChatRef("telegram", str(100 + n)), START, None, False) for n in range(10)
        ]
        for _ in range(30):
            store.outbox.enqueue(store.items.new_story(START), [chat.id for chat in chats], START)
    expected = {row[0] for row in store.db.execute("SELECT id FROM outbox")}
    store.close()

    platform = SharedPlatform()
    together = threading.Barrier(2)
    failures: list[BaseException] = []

    def guarded() -> None:
        try:
            run_sender(path, platform, together)
        except BaseException as failure:  # reported by the assertion below, not lost in the thread
            failures.append(failure)

    threads = [threading.Thread(target=guarded) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert len(expected) == 300
    assert platform.lost_claims >= 200, "both senders tried the first batch; every row went to one of them"
    assert set(platform.shown) == expected
    assert [row for row, count in platform.shown.items() if count > 1] == []
    store = open_store(path)
    try:
        rows = store.db.execute("SELECT id, state, message_id FROM outbox").fetchall()
    finally:
        store.close()
    assert {(row_id, state, message_id) for row_id, state, message_id in rows} == {
        (row_id, "sent", str(row_id)) for row_id in expected
    }
