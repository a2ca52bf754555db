"""Outbox policy for ambiguous sends (rows 48, 49) and the Telegram timeout mapping."""

from __future__ import annotations

import httpx
from telegram.error import TimedOut

from bot.clock import FrozenClock
from bot.dbthread import DbThread
from bot.errors import SendFailed
from bot.models import ChatRef, Summary
from bot.pipeline.deliver import OutboxWorker, RateLimits
from bot.platforms.telegram import translate_error
from storage import Store
from tests.conftest import START

CHAT = ChatRef("telegram", "5", None)
FAST = {"telegram": RateLimits(per_chat_interval=0.0, group_per_minute=1000, global_per_second=1000)}


class FlakySender:
    """Records every send ("the platform showed it"), then answers from a script of outcomes."""

    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes = outcomes
        self.shown = 0

    async def send(self, chat: ChatRef, summary: Summary, *, plain: bool) -> str:
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if not isinstance(outcome, SendFailed) or outcome.maybe_sent:
            self.shown += 1
        if outcome is not None:
            raise outcome
        return str(self.shown)

    async def edit(self, chat: ChatRef, message_id: str, summary: Summary, *, plain: bool) -> None:
        return None


def queue_one(store: Store) -> int:
    chat = store.subscriptions.ensure_chat(CHAT, START, None, False)
    story = store.items.new_story(START)
    store.outbox.enqueue(story, [chat.id], START)
    store.db.conn.commit()
    return int(store.db.execute("SELECT id FROM outbox").fetchone()[0])


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
