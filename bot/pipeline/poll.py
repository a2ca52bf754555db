"""Poll one feed: fetch → parse → normalise → tag → dedupe → store, in one transaction.

This module only sequences the steps; each decision lives in its own module.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import httpx

from bot.clock import Clock
from bot.dbthread import DbThread
from bot.errors import FetchError, HTTPStatusError
from bot.models import FeedRecord, ParsedFeed, PollReport
from bot.pipeline.dedupe import (
    NO_COUNTRY,
    UNDATED_DAY,
    Fingerprint,
    Outline,
    choose_among,
    minhash,
    stories_worth_comparing,
)
from bot.pipeline.fetch import FetchLimits, FetchResult, Validators, fetch
from bot.pipeline.prepare import PreparedItem, Preparer
from bot.pipeline.route import Router
from bot.pipeline.schedule import after_failure, after_success
from storage import Store

log = logging.getLogger(__name__)
V = TypeVar("V")


@dataclass(frozen=True)
class PollDeps:
    """Everything a poll needs, built once by the composition root."""

    clock: Clock
    http: httpx.AsyncClient
    store: Store
    db: DbThread
    limits: FetchLimits
    prepare: Preparer
    router: Router | None = None
    # Set unless private feeds are allowed: feeds added from chat are fetched through it (SSRF guard).
    guarded_http: httpx.AsyncClient | None = None


# Decoded fingerprints kept per store: busy days bring the same candidates back for many items, and a
# stored item's features never change (see ``put`` for reused ids). Bounded: each takes a few KB.
DECODED_FINGERPRINTS = 3_000
# Outlines (relevance, countries, language and event kinds, ~150 bytes each) are kept for many more items:
# most candidates of a busy day are ruled out by them without decoding their fingerprints.
OUTLINES = 50_000


def _known_and_missing(kept: Mapping[int, V], item_ids: Iterable[int]) -> tuple[dict[int, V], list[int]]:
    """The kept values of these items, and the items without one."""
    found: dict[int, V] = {}
    missing: list[int] = []
    for item_id in item_ids:
        value = kept.get(item_id)
        if value is None:
            missing.append(item_id)
        else:
            found[item_id] = value
    return found, missing


class _DecodedFingerprints:
    """Decoded fingerprints of stored items by item id, least recently used dropped first, and the
    outlines of many more items, the first filed dropped first."""

    def __init__(self, size: int, outlines: int = OUTLINES) -> None:
        self.size = size
        self.outline_size = outlines
        self._items: OrderedDict[int, Fingerprint] = OrderedDict()
        # Ordered for cheap first-in-first-out trimming: dropping a plain dict's oldest keys one at a
        # time walks over every slot deleted before them (0.15 ms per stored item at 50,000 outlines).
        self._outlines: OrderedDict[int, Outline] = OrderedDict()

    def get(self, store: Store, item_ids: Iterable[int]) -> dict[int, Fingerprint]:
        """The fingerprints of these items, reading only those not decoded before."""
        found, missing = _known_and_missing(self._items, item_ids)
        for item_id in found:
            self._items.move_to_end(item_id)
        for stored in store.stories.features(missing):
            fp = found[stored.item_id] = Fingerprint.from_json(stored.features, stored.signature)
            self._keep(stored.item_id, fp)
        return found

    def outlines(self, store: Store, item_ids: list[int]) -> dict[int, Outline]:
        """The outlines of these items, decoding the fingerprints of those without one."""
        found, missing = _known_and_missing(self._outlines, item_ids)
        for item_id, fp in self.get(store, missing).items():
            found[item_id] = self._keep_outline(item_id, fp)
        return found

    def signatures(self, store: Store, item_ids: list[int]) -> dict[int, minhash.Signature]:
        """The MinHash signatures of these items, from decoded fingerprints or else the stored blobs."""
        kept, missing = _known_and_missing(self._items, item_ids)
        found = {item_id: fp.signature for item_id, fp in kept.items()}
        for item_id, blob in store.stories.signatures(missing).items():
            found[item_id] = minhash.from_bytes(blob)
        return found

    def put(self, item_id: int, fp: Fingerprint) -> None:
        """Keep a just stored item's fingerprint, replacing whatever an earlier item of that id left.

        Every item is stored through here, so an id reused after pruning or a rollback never
        reaches the cache's old entry.
        """
        kept = fp.compact()
        self._keep(item_id, kept)
        self._keep_outline(item_id, kept)

    def _keep(self, item_id: int, fp: Fingerprint) -> None:
        self._items[item_id] = fp
        self._items.move_to_end(item_id)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def _keep_outline(self, item_id: int, fp: Fingerprint) -> Outline:
        # Kept and decoded fingerprints share their country sets (``Fingerprint.compact``), and so do outlines.
        outline = self._outlines[item_id] = Outline(fp.relevant, fp.countries, fp.lang, fp.kinds)
        self._outlines.move_to_end(item_id)
        while len(self._outlines) > self.outline_size:
            self._outlines.popitem(last=False)
        return outline


_decoded: weakref.WeakKeyDictionary[Store, _DecodedFingerprints] = weakref.WeakKeyDictionary()


def _decoded_for(store: Store) -> _DecodedFingerprints:
    cache = _decoded.get(store)
    if cache is None:
        cache = _decoded[store] = _DecodedFingerprints(DECODED_FINGERPRINTS)
    return cache


def place_in_story(store: Store, fp: Fingerprint, now: datetime) -> tuple[int, bool, tuple[int, ...]]:
    """The story a new item joins: (story id, whether it existed, stories merged into it).

    Candidates come from the LSH bands and the (country, kind, day) index; ``choose_among`` decides.
    When the item links stories that were opened apart, they are merged into the oldest.
    """
    countries = tuple(sorted(fp.countries))
    stored = store.stories.candidates(
        fp.bands,
        fp.band_days,
        (*countries, NO_COUNTRY),
        tuple(sorted(fp.kinds)),
        fp.search_days,
        also_day=None if fp.published_is_fallback else UNDATED_DAY,
        any_country=not countries,
    )
    cache = _decoded_for(store)
    outlines = cache.outlines(store, [item_id for _, item_id in stored])
    outlines_by_story: dict[int, list[tuple[int, Outline]]] = defaultdict(list)
    for story_id, item_id in stored:
        outlines_by_story[story_id].append((item_id, outlines[item_id]))
    still_open = set(stories_worth_comparing(fp, outlines_by_story, lambda item_ids: cache.signatures(store, item_ids)))
    members = [(story_id, item_id) for story_id, item_id in stored if story_id in still_open]
    decoded = cache.get(store, (item_id for _, item_id in members))
    by_story: dict[int, list[Fingerprint]] = defaultdict(list)
    for story_id, item_id in members:
        by_story[story_id].append(decoded[item_id])
    chosen = choose_among(fp, by_story)
    if not chosen:
        return store.items.new_story(now), False, ()
    target = min(chosen)
    absorbed = tuple(story for story in chosen if story != target)
    store.stories.merge(target, absorbed, now)
    return target, True, absorbed


def record_fingerprint(store: Store, story_id: int, item_id: int, fp: Fingerprint) -> None:
    """File a stored item's fingerprint so later items can be compared with it."""
    _decoded_for(store).put(item_id, fp)
    store.stories.record(
        story_id,
        item_id,
        day=fp.day,
        index_days=fp.index_days,
        countries=sorted(fp.countries) or [NO_COUNTRY],
        kinds=sorted(fp.kinds),
        bands=fp.bands,
        features=fp.to_json(),
        signature=fp.signature_bytes(),
    )


def store_items(
    store: Store,
    feed: FeedRecord,
    items: list[PreparedItem],
    fetched: FetchResult,
    parsed: ParsedFeed,
    body_hash: str,
    now: datetime,
    router: Router | None = None,
) -> PollReport:
    """Dedupe and store one poll's items and the feed's new state in a single transaction."""
    new_items = duplicates = 0
    new_stories: list[int] = []
    updated_stories: list[int] = []
    with store.transaction():
        pruning_happened = store.prune.any_pruned()
        for prepared in items:
            item = prepared.item
            existing = store.items.find_exact(feed.id, item)
            if existing is not None:
                if store.items.add_receipt(existing, feed.id, item, now):
                    # The same article reached us through another link or outlet: the story's sent
                    # messages are edited to name the new source.
                    stored = store.items.get(existing)
                    if stored is not None and stored.story_id is not None and stored.feed_id != feed.id:
                        updated_stories.append(stored.story_id)
                duplicates += 1
                continue
            if pruning_happened and store.prune.was_pruned(feed.id, item):
                # An item of a pruned story, listed again: it was seen (and announced) long ago.
                duplicates += 1
                continue
            story_id, joined, absorbed = place_in_story(store, prepared.fingerprint, now)
            item_id = store.items.insert(feed.id, item, story_id, now)
            record_fingerprint(store, story_id, item_id, prepared.fingerprint)
            if joined:
                # Another outlet (or language) carries a story we have: its messages are edited.
                new_stories = [story for story in new_stories if story not in absorbed]
                updated_stories.append(story_id)
            else:
                new_stories.append(story_id)
            new_items += 1
        if router is not None:
            router.route(new_stories, updated_stories, now)
        store.feeds.record_success(
            feed.id,
            now,
            status=fetched.status,
            etag=fetched.validators.etag,
            last_modified=fetched.validators.last_modified,
            body_hash=body_hash,
            bozo_reason=parsed.bozo_reason,
            next_poll=after_success(now, feed.interval_seconds).at,
            new_items=new_items,
        )
    return PollReport(
        feed.id,
        feed.label,
        new_items=new_items,
        duplicates=duplicates,
        new_story_ids=tuple(new_stories),
        updated_story_ids=tuple(dict.fromkeys(updated_stories)),
        warning=parsed.bozo_reason,
    )


async def _fail(feed: FeedRecord, error: FetchError, deps: PollDeps, now: datetime) -> PollReport:
    retry_after = error.retry_after if isinstance(error, HTTPStatusError) else None
    status = error.status if isinstance(error, HTTPStatusError) else None
    decision = after_failure(now, feed.interval_seconds, feed.consecutive_failures, retry_after)
    await deps.db(
        deps.store.feeds.record_failure,
        feed.id,
        now,
        error=error.message,
        status=status,
        failures=decision.failures,
        next_poll=decision.at,
        disable=decision.disable,
    )
    return PollReport(feed.id, feed.label, error=error.message, disabled=decision.disable)


NotModifiedMark = tuple[int, datetime, int, datetime]


def _record_not_modified(store: Store, marks: list[NotModifiedMark]) -> None:
    with store.transaction():
        for feed_id, now, status, next_poll in marks:
            store.feeds.record_not_modified(feed_id, now, status, next_poll)


class _NotModifiedMarks:
    """Unchanged feeds' poll state, written together: marks arriving while one write runs share the
    next transaction, so a re-poll where nothing changed commits (and syncs to disk) a few times, not
    once per feed."""

    def __init__(self, deps: PollDeps) -> None:
        self._deps = deps
        self._marks: list[NotModifiedMark] = []
        self._written: asyncio.Future[None] | None = None
        self._writing: asyncio.Task[None] | None = None

    async def add(self, mark: NotModifiedMark) -> None:
        """Record one feed's mark; returns once it is committed."""
        self._marks.append(mark)
        if self._written is None:
            self._written = asyncio.get_running_loop().create_future()
            self._writing = asyncio.create_task(self._write(self._writing, self._written))
        await asyncio.shield(self._written)

    async def _write(self, previous: asyncio.Task[None] | None, written: asyncio.Future[None]) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        marks, self._marks, self._written = self._marks, [], None
        try:
            await self._deps.db(_record_not_modified, self._deps.store, marks)
        except Exception as exc:
            written.set_exception(exc)
        else:
            written.set_result(None)


async def poll_feed(feed: FeedRecord, deps: PollDeps, marks: _NotModifiedMarks | None = None) -> PollReport:
    """Poll one feed and return what happened. Feed errors are recorded, never raised."""
    now = deps.clock.now()
    validators = Validators(feed.etag, feed.last_modified)
    try:
        client = deps.guarded_http if feed.source == "chat" and deps.guarded_http is not None else deps.http
        fetched = await fetch(client, feed.url, validators, deps.limits, now)
        body_hash = hashlib.sha256(fetched.body).hexdigest()
        if fetched.not_modified or body_hash == feed.body_hash:
            next_poll = after_success(now, feed.interval_seconds).at
            await (marks or _NotModifiedMarks(deps)).add((feed.id, now, fetched.status, next_poll))
            return PollReport(feed.id, feed.label, not_modified=True)
        prepared = await deps.prepare(fetched.body, fetched.headers, feed, now)
    except FetchError as error:
        return await _fail(feed, error, deps, now)
    report = await deps.db(
        store_items, deps.store, feed, prepared.items, fetched, prepared.parsed, body_hash, now, deps.router
    )
    if fetched.permanent_url and fetched.permanent_url != feed.url:
        await _follow_move(feed, fetched.permanent_url, deps)
    return report


async def _follow_move(feed: FeedRecord, new_url: str, deps: PollDeps) -> None:
    """A 301/308 whose target answered with a feed that parsed (every hop SSRF-checked for chat feeds)."""
    if await deps.db(deps.store.feeds.move, feed.id, new_url):
        log.info("%s moved permanently to %s", feed.label, new_url)
    else:
        log.warning("%s redirects permanently to %s, which another feed already polls", feed.label, new_url)


async def poll_feeds(
    feeds: list[FeedRecord],
    deps: PollDeps,
    concurrency: int,
    on_done: Callable[[PollReport], None] | None = None,
) -> list[PollReport]:
    """Poll many feeds at once, at most ``concurrency`` in flight; one failing feed never stops the rest."""
    gate = asyncio.Semaphore(concurrency)
    marks = _NotModifiedMarks(deps)

    async def guarded(feed: FeedRecord) -> PollReport:
        async with gate:
            try:
                report = await poll_feed(feed, deps, marks)
            except Exception as exc:  # a bug in one feed's processing must not stop the cycle
                log.exception("unexpected error while polling %s", feed.url)
                report = await _fail(
                    feed, FetchError(f"internal error: {type(exc).__name__}: {exc}"), deps, deps.clock.now()
                )
        if on_done:
            on_done(report)
        return report

    return list(await asyncio.gather(*(guarded(feed) for feed in feeds)))
