"""Ingest-time dedupe benchmark (run on demand: ``uv run python bench/bench_dedupe.py [sizes...]``).

For each store size (default 10,000 and 200,000 items) it fills a SQLite file with fingerprints of
synthetic items published at a steady rate (300 a day over 60 countries, as a busy deployment
would see), then times 1,000 new items through the real ingest path: ``fingerprint`` +
``place_in_story`` (band and (country, day) lookups, ``choose_stories``) + ``record_fingerprint``.
Half the new items are perturbed copies of stored ones, half are unseen. The cost per item must
not grow with the store: the ratio 200k/10k is printed and must stay ≤ 1.5.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.models import Item, Tags
from bot.pipeline.dedupe import fingerprint
from bot.pipeline.poll import place_in_story, record_fingerprint
from storage import Store, open_store

PER_DAY = 300
COUNTRIES = [f"C{n:02d}" for n in range(60)]
BODIES = ["osce-odihr", "eu-eom", "oas", "cis", "election-commission", "citizen-observers", "anfrel"]
WORDS = [f"w{n}" for n in range(6000)]
KINDS = ["opens mission", "interim report", "preliminary statement", "final report", "turnout", "accredited"]
MEASURED = 1000
START = datetime(2020, 1, 1, tzinfo=UTC)


def make_item(rng: random.Random, n: int, published: datetime, words: list[str] | None = None) -> Item:
    body = words or rng.choices(WORDS, k=45)
    title = f"{' '.join(body[:6])} {rng.choice(KINDS)}"
    summary = f"{' '.join(body)} {rng.randint(10, 9999)} observers."
    return Item(
        feed_url="https://bench.example/rss",
        title=title,
        link=f"https://bench.example/{n}",
        canonical_link=f"https://bench.example/{n}",
        guid=str(n),
        published=published,
        published_is_fallback=False,
        summary=summary,
        lang="en",
        content_hash=str(n),
        tags=Tags(True, (rng.choice(COUNTRIES),), (rng.choice(BODIES),)),
    )


def fill(store: Store, size: int, rng: random.Random) -> tuple[datetime, list[list[str]]]:
    """Store ``size`` items' fingerprints (items rows are minimal: only what dedupe reads)."""
    kept: list[list[str]] = []
    published = START
    step = timedelta(days=1) / PER_DAY
    with store.transaction():
        for n in range(size):
            words = rng.choices(WORDS, k=45)
            item = make_item(rng, n, published, words)
            story_id = store.items.new_story(published)
            item_id = store.items.insert(1, item, story_id, published)
            record_fingerprint(store, story_id, item_id, fingerprint(item))
            if n >= size - 2000:
                kept.append(words)
            published += step
    return published, kept


def measure(store: Store, now: datetime, kept: list[list[str]], rng: random.Random) -> list[float]:
    """Seconds per new item for fingerprint + lookup + decision + record (the item insert excluded)."""
    timings = []
    step = timedelta(days=1) / PER_DAY
    for n in range(MEASURED):
        if n % 2:
            words = list(rng.choice(kept))
            for position in rng.sample(range(len(words)), 4):  # ~9 % of the words changed
                words[position] = rng.choice(WORDS)
        else:
            words = rng.choices(WORDS, k=45)
        item = make_item(rng, 10_000_000 + n, now, words)
        with store.transaction():
            start = time.perf_counter()
            fp = fingerprint(item)
            story_id, _, _ = place_in_story(store, fp, now)
            elapsed = time.perf_counter() - start
            item_id = store.items.insert(1, item, story_id, now)  # storing the item is not dedupe's cost
            start = time.perf_counter()
            record_fingerprint(store, story_id, item_id, fp)
            elapsed += time.perf_counter() - start
        timings.append(elapsed)
        now += step
    return timings


def run(size: int) -> float:
    """Fill a store with ``size`` items, then return the median ms per new item."""
    rng = random.Random(size)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        store.db.execute(
            "INSERT INTO feeds (id, url, interval_seconds, added_at) VALUES (1, 'https://bench.example/rss', 600, ?)",
            (START.isoformat(),),
        )
        began = time.perf_counter()
        now, kept = fill(store, size, rng)
        filled = time.perf_counter() - began
        timings = measure(store, now, kept, rng)
        store.close()
    median_ms = statistics.median(timings) * 1000
    p90_ms = statistics.quantiles(timings, n=10)[-1] * 1000
    print(
        f"{size:>8,} stored (filled in {filled:.0f} s): {median_ms:.3f} ms/item median, "
        f"{p90_ms:.3f} ms p90, {1 / statistics.mean(timings):,.0f} items/s"
    )
    return median_ms


def main() -> None:
    """Run the sizes given on the command line (default 10k and 200k) and print the ratio."""
    sizes = [int(arg) for arg in sys.argv[1:]] or [10_000, 200_000]
    results = {size: run(size) for size in sizes}
    if len(results) > 1:
        small, large = min(results), max(results)
        ratio = results[large] / results[small]
        print(f"ratio {large:,}/{small:,}: {ratio:.2f} ({'ok' if ratio <= 1.5 else 'TOO HIGH'}: must be ≤ 1.5)")


if __name__ == "__main__":
    main()
