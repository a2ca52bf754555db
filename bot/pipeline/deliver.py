"""Deliver step: drain the outbox to the chat platforms, within their rate limits, surviving errors.

Each platform adapter implements ``ChatSender`` and translates its errors into the DeliveryError
tree (bot/errors.py); this module decides what each error means for the outbox row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from bot.clock import Clock
from bot.dbthread import DbThread
from bot.errors import BadFormat, ChatGone, ChatMoved, DeliveryError, RetryLater, SendFailed
from bot.models import ChatRef, Summary
from storage import Store
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

# After this many failed attempts a delivery is given up ('dead') and shows in `status`.
MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 3600
SHORT_WAIT = 0.1
GLOBAL_WINDOW_MARGIN = 0.05


class ChatSender(Protocol):
    """A chat platform, as the outbox worker sees it."""

    async def send(self, chat: ChatRef, summary: Summary, *, plain: bool, delivery_id: int) -> str:
        """Post a story; return the platform's message id. Raise DeliveryError subclasses on failure.

        ``delivery_id`` (the outbox row) goes with the message where the platform can carry it, so that
        ``reconcile`` can find the message later.
        """
        ...

    async def edit(self, chat: ChatRef, message_id: str, summary: Summary, *, plain: bool) -> None:
        """Replace a posted story's text (to add later sources)."""
        ...

    async def reconcile(self, chat: ChatRef, summary: Summary, *, delivery_id: int, since: datetime) -> str | None:
        """A send begun at ``since`` is in doubt: the message id if the platform shows it arrived.

        None means "not there" or "cannot tell" (a platform without readable history, a failed lookup);
        the worker then sends again.
        """
        ...


@dataclass(frozen=True)
class RateLimits:
    """A platform's flood limits (Telegram's defaults: 1/s per chat, 20/min per group, 30/s overall)."""

    per_chat_interval: float = 1.0
    group_per_minute: int = 20
    global_per_second: int = 30


@dataclass
class RateLimiter:
    """Sliding-window limits per chat, per group and overall. Time is passed in, so tests need no sleep."""

    limits: RateLimits
    _last_by_chat: dict[str, float] = field(default_factory=dict)
    _group_sends: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _global_sends: deque[float] = field(default_factory=deque)
    _blocked_until: dict[str, float] = field(default_factory=dict)

    def wait(self, chat_id: str, is_group: bool, now: float) -> float:
        """Seconds until a message to this chat is allowed (0 = now)."""
        waits = [self._blocked_until.get(chat_id, 0.0) - now]
        last = self._last_by_chat.get(chat_id)
        if last is not None:
            waits.append(last + self.limits.per_chat_interval - now)
        if is_group:
            window = self._group_sends[chat_id]
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self.limits.group_per_minute:
                waits.append(window[0] + 60 - now)
        # The platform counts arrivals, which network jitter spreads; a slightly longer window keeps
        # every arrival window within the limit.
        span = 1.0 + GLOBAL_WINDOW_MARGIN
        while self._global_sends and self._global_sends[0] <= now - span:
            self._global_sends.popleft()
        if len(self._global_sends) >= self.limits.global_per_second:
            waits.append(self._global_sends[0] + span - now)
        if self._global_sends:
            waits.append(self._global_sends[-1] + span / self.limits.global_per_second - now)
        return max(0.0, *waits)

    def record(self, chat_id: str, is_group: bool, now: float) -> None:
        """Count a message sent now."""
        self._last_by_chat[chat_id] = now
        if is_group:
            self._group_sends[chat_id].append(now)
        self._global_sends.append(now)

    def block(self, chat_id: str, seconds: float, now: float) -> None:
        """The platform said wait: nothing goes to this chat for ``seconds``."""
        self._blocked_until[chat_id] = max(self._blocked_until.get(chat_id, 0.0), now + seconds)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff for network failures: 5 s, 10 s, 20 s … capped at an hour."""
    return float(min(MAX_BACKOFF_SECONDS, 5 * 2 ** max(0, attempts - 1)))


class OutboxWorker:
    """Sends due outbox rows and pending edits, concurrently across chats, never faster than the limits."""

    def __init__(
        self,
        store: Store,
        db: DbThread,
        clock: Clock,
        senders: dict[str, ChatSender],
        summary: Callable[[int], Summary | None],
        limits: dict[str, RateLimits] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        batch: int = 200,
    ) -> None:
        self.store = store
        self.db = db
        self.clock = clock
        self.senders = senders
        self.summary = summary
        self.monotonic = monotonic
        self.sleep = sleep
        self.batch = batch
        self.limiters = {name: RateLimiter((limits or {}).get(name, RateLimits())) for name in senders}
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """New rows were queued: look at once instead of at the next tick."""
        self._wake.set()

    def _limiter(self, chat: ChatRef) -> RateLimiter:
        return self.limiters.setdefault(chat.platform, RateLimiter(RateLimits()))

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        """Drain until ``stop`` is set; rows in flight during a previous crash are sent once more."""
        recovered = await self.db(self.store.outbox.recover_in_flight)
        if recovered:
            log.warning("%d deliveries were in flight at the last stop; sending them again", recovered)
        while not stop.is_set():
            try:
                pause = await self.drain_once()
            except Exception:  # the sender must outlive any single bad row or platform hiccup
                log.exception("outbox drain failed")
                pause = idle_seconds
            self._wake.clear()
            wait = min(idle_seconds, pause) if pause > 0 else 0.01
            if wait:
                stop_task = asyncio.ensure_future(stop.wait())
                wake_task = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({stop_task, wake_task}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                stop_task.cancel()
                wake_task.cancel()
        await self.finish_in_flight()

    async def drain_once(self) -> float:
        """Start every send the limits allow now; return seconds until another could start.

        Sends run as tasks so a slow platform answer does not hold up other chats; the global limit is
        paced (one message every 1/N s) rather than sent in bursts, so network jitter cannot push a
        burst over the platform's per-second limit.
        """
        now = self.clock.now()
        rows = await self.db(self.store.outbox.due, now, self.batch)
        edits = await self.db(self.store.outbox.edits_due, self.batch)
        next_wait = float("inf")
        for row, is_edit in [*((r, False) for r in rows), *((r, True) for r in edits)]:
            if row.id in self._in_flight:
                continue
            limiter = self._limiter(row.chat)
            tick = self.monotonic()
            wait = limiter.wait(row.chat.chat_id, row.is_group, tick)
            if 0 < wait <= SHORT_WAIT:
                # Pacing gaps are tens of milliseconds: waiting here beats another round trip to the database.
                await self.sleep(wait)
                tick = self.monotonic()
                wait = limiter.wait(row.chat.chat_id, row.is_group, tick)
            if wait > 0:
                next_wait = min(next_wait, wait)
                continue
            limiter.record(row.chat.chat_id, row.is_group, tick)
            self._in_flight.add(row.id)
            task = asyncio.create_task(self._edit(row) if is_edit else self._send(row))
            task.add_done_callback(partial(self._landed, row.id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if next_wait == float("inf"):
            return 0.01 if rows or edits else 1.0
        return max(0.001, next_wait)

    def _landed(self, row_id: int, _: asyncio.Task[None]) -> None:
        self._in_flight.discard(row_id)

    async def finish_in_flight(self) -> None:
        """Wait for the sends already started."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _send(self, row: OutboxRow) -> None:
        now = self.clock.now()
        if not await self.db(self.store.outbox.claim, row.id, now):
            return
        sender = self.senders.get(row.chat.platform)
        summary = await self.db(self.summary, row.story_id)
        if summary is None:
            await self.db(self.store.outbox.finish, row.id, "dead", "story no longer stored")
            return
        if sender is None:
            later = now + timedelta(minutes=10)
            await self.db(self.store.outbox.retry, row.id, later, f"{row.chat.platform} is not configured")
            return
        try:
            found = None
            if row.state == "uncertain":
                found = await sender.reconcile(row.chat, summary, delivery_id=row.id, since=row.claimed_at)
            if found is not None:
                log.info("story %s had reached %s after all; not sent again", row.story_id, row.chat.key)
            message_id = found or await sender.send(row.chat, summary, plain=row.plain, delivery_id=row.id)
        except DeliveryError as error:
            await self._failed(row, error)
        except Exception as error:
            log.exception("unexpected error sending story %s to %s", row.story_id, row.chat.key)
            await self._failed(row, SendFailed(f"{type(error).__name__}: {error}"))
        else:
            # A message found by reconciling shows the story as it was then; sources added since come by an edit.
            stale = found is not None
            await self.db(self.store.outbox.mark_sent, row.id, message_id, self.clock.now(), needs_edit=stale)

    async def _failed(self, row: OutboxRow, error: DeliveryError) -> None:
        now = self.clock.now()
        outbox = self.store.outbox
        attempts = row.attempts + 1
        if isinstance(error, RetryLater):
            self._limiter(row.chat).block(row.chat.chat_id, error.seconds, self.monotonic())
            at = now + timedelta(seconds=error.seconds)
            await self.db(outbox.retry, row.id, at, error.message, count_attempt=False)
        elif isinstance(error, ChatGone):
            await self.db(self.store.subscriptions.deactivate, row.chat_row, error.message)
            await self.db(outbox.drop_for_chat, row.chat_row, error.message)
            log.info("chat %s deactivated: %s", row.chat.key, error.message)
        elif isinstance(error, ChatMoved):
            await self.db(self.store.subscriptions.migrate, row.chat_row, error.new_chat_id)
            await self.db(outbox.retry, row.id, now, error.message, count_attempt=False)
        elif isinstance(error, BadFormat) and not row.plain:
            await self.db(outbox.retry, row.id, now, error.message, plain=True)
        elif isinstance(error, SendFailed) and error.maybe_sent:
            # The platform may have shown the message (e.g. a timeout after the request was written), and
            # neither Telegram nor Slack takes an idempotency key: one delayed resend, never a retry loop.
            if row.state == "uncertain":
                await self.db(outbox.finish, row.id, "dead", f"in doubt twice, not resent again: {error.message}")
                log.error("story %s to %s in doubt twice: %s", row.story_id, row.chat.key, error.message)
            else:
                at = now + timedelta(seconds=backoff_seconds(attempts))
                await self.db(outbox.retry, row.id, at, error.message, state="uncertain")
        elif attempts >= MAX_ATTEMPTS or isinstance(error, BadFormat):
            await self.db(outbox.finish, row.id, "dead", error.message)
            log.error("gave up delivering story %s to %s: %s", row.story_id, row.chat.key, error.message)
        else:
            at = now + timedelta(seconds=backoff_seconds(attempts))
            await self.db(outbox.retry, row.id, at, error.message)

    async def _edit(self, row: OutboxRow) -> None:
        sender = self.senders.get(row.chat.platform)
        summary = await self.db(self.summary, row.story_id)
        if sender is None or summary is None or row.message_id is None:
            await self.db(self.store.outbox.mark_edited, row.id)
            return
        try:
            await sender.edit(row.chat, row.message_id, summary, plain=row.plain)
        except RetryLater as error:
            self._limiter(row.chat).block(row.chat.chat_id, error.seconds, self.monotonic())
            return
        except BadFormat:
            try:
                await sender.edit(row.chat, row.message_id, summary, plain=True)
            except DeliveryError as error:
                log.info("edit of story %s in %s failed: %s", row.story_id, row.chat.key, error.message)
        except DeliveryError as error:
            # An edit is a courtesy: the story was delivered; a failed edit is not retried forever.
            log.info("edit of story %s in %s failed: %s", row.story_id, row.chat.key, error.message)
        await self.db(self.store.outbox.mark_edited, row.id)
