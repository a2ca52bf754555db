"""The ``electionwatch`` command line: run, poll --once, demo, export, feeds, retag, explain, prune, status."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.app import Runtime, build_runtime
from bot.demo import BundledFeedsTransport, sample_feeds
from bot.errors import ConfigError, ElectionWatchError
from bot.instance import InstanceLock
from bot.models import FeedConfig, FeedRecord, PollReport, StoredItem
from bot.pipeline.feed_country import in_feed_context
from bot.pipeline.normalise import canonical_link
from bot.pipeline.poll import poll_feeds
from bot.platforms.console import ConsoleSender
from bot.retention import PruneTotals, prune
from bot.runner import relevant_summaries, run_forever
from bot.settings import Settings, dump_feeds_yaml, parse_duration

log = logging.getLogger("electionwatch")


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    overrides: dict[str, Any] = {}
    if getattr(args, "db", None):
        overrides["db"] = Path(args.db)
    if getattr(args, "config", None):
        overrides["config"] = Path(args.config)
    return settings.model_copy(update=overrides)


def _config_path(args: argparse.Namespace, settings: Settings) -> Path | None:
    """The feeds.yaml to load: an explicit one must exist; the default one is optional."""
    if getattr(args, "config", None):
        path = Path(args.config)
        if not path.exists():
            raise ConfigError(f"{path}: no such file")
        return path
    return settings.config if settings.config.exists() else None


def _with_runtime(args: argparse.Namespace, body: Callable[[Runtime], Coroutine[Any, Any, int]]) -> int:
    settings = _settings(args)

    async def main() -> int:
        runtime = build_runtime(settings)
        try:
            return await body(runtime)
        finally:
            await runtime.aclose()

    return asyncio.run(main())


def _report_line(report: PollReport) -> str:
    if report.error:
        state = f"error: {report.error}" + (" — feed disabled" if report.disabled else "")
    elif report.not_modified:
        state = "not modified"
    else:
        state = f"{report.new_items} new, {report.duplicates} duplicates"
        if report.warning:
            state += f" (malformed but read: {report.warning[:80]})"
    return f"{report.feed}: {state}"


def cmd_poll(args: argparse.Namespace) -> int:
    """Poll every enabled feed once and print one line per feed."""
    if not args.once:
        print("electionwatch poll needs --once (use `electionwatch run` to keep polling)", file=sys.stderr)
        return 2

    async def body(runtime: Runtime) -> int:
        config = _config_path(args, runtime.settings)
        if config:
            await runtime.db(runtime.sync_config, config)
        feeds = await runtime.db(runtime.enabled_feeds)
        if not feeds:
            print("no enabled feeds: add some to feeds.yaml or with `electionwatch feeds add URL`")
            return 0
        reports = await poll_feeds(feeds, runtime.deps, runtime.settings.fetch_concurrency)
        for report in sorted(reports, key=lambda r: r.feed_id):
            print(_report_line(report))
        new = sum(r.new_items for r in reports)
        failed = sum(1 for r in reports if r.error)
        print(f"polled {len(reports)} feeds: {new} new items, {failed} failed")
        return 0

    return _with_runtime(args, body)


def cmd_demo(args: argparse.Namespace) -> int:
    """Poll the bundled sample feeds into a fresh demo database and print the stories."""
    console = Console(highlight=False)
    db_path = Path(args.db)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    # Four small feeds: one tagger in a thread starts faster than a pool of worker processes.
    settings = Settings().model_copy(update={"db": db_path, "prepare_workers": 1})

    async def main() -> int:
        runtime = build_runtime(settings, transport=BundledFeedsTransport())
        try:
            feeds = sample_feeds()
            for feed in feeds:
                await runtime.db(runtime.store.feeds.add, feed, runtime.clock.now(), "demo")
            records = await runtime.db(runtime.enabled_feeds)
            reports: list[PollReport] = []
            with Progress(
                TextColumn("[bold]polling sample feeds"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as progress:
                task = progress.add_task("poll", total=len(records))
                reports = await poll_feeds(records, runtime.deps, 4, on_done=lambda _: progress.advance(task))
            sender = ConsoleSender(console)
            shown = 0
            for report in sorted(reports, key=lambda r: r.feed_id):
                for summary in await relevant_summaries(runtime, report):
                    sender.show(summary)
                    shown += 1
            items = await runtime.db(runtime.store.items.count)
            console.print(
                f"[bold]{shown} relevant stories[/bold] from {items} stored items in {len(records)} feeds "
                f"(database: {db_path})"
            )
            return 0
        finally:
            await runtime.aclose()

    return asyncio.run(main())


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot until SIGINT/SIGTERM."""
    console = Console(highlight=False)

    async def body(runtime: Runtime) -> int:
        config = _config_path(args, runtime.settings)
        sender = ConsoleSender(console)
        console.print("ElectionWatch running; new relevant stories appear below. Ctrl-C stops.")
        await run_forever(runtime, config, sender.show)
        return 0

    settings = _settings(args)
    if str(settings.db) == ":memory:":
        return _with_runtime(args, body)
    # Two bots on one database would both poll and both send: the second one stops here.
    with InstanceLock(settings.db):
        return _with_runtime(args, body)


def cmd_export(args: argparse.Namespace) -> int:
    """Write every distinct item received, one JSON object per line."""

    async def body(runtime: Runtime) -> int:
        def write_to(out: TextIO) -> int:
            count = 0
            for row in runtime.store.items.export_rows():
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
            return count

        def write() -> int:
            if not args.output:
                return write_to(sys.stdout)
            with Path(args.output).open("w", encoding="utf-8") as out:
                return write_to(out)

        count = await runtime.db(write)
        if args.output:
            print(f"exported {count} items to {args.output}", file=sys.stderr)
        return 0

    return _with_runtime(args, body)


def _when(record: FeedRecord) -> str:
    return f"{record.last_success_at:%Y-%m-%d %H:%M}" if record.last_success_at else "never"


def _find_feed(runtime: Runtime, ref: str) -> FeedRecord | None:
    if ref.isdigit():
        return runtime.store.feeds.get(int(ref))
    return runtime.store.feeds.by_url(ref.strip())


def cmd_feeds(args: argparse.Namespace) -> int:
    """List, add, remove or export feeds."""

    async def body(runtime: Runtime) -> int:
        config = _config_path(args, runtime.settings)
        if config:
            await runtime.db(runtime.sync_config, config)
        store = runtime.store
        if args.feeds_command == "list":
            table = Table("id", "feed", "state", "last success", "failures", "last error", box=None)
            for feed in await runtime.db(store.feeds.all):
                state = "enabled" if feed.enabled else ("disabled" if feed.disabled_reason else "paused")
                error = feed.disabled_reason or feed.last_error or ""
                if not error and feed.bozo_reason:
                    error = f"read despite: {feed.bozo_reason[:200]}"
                table.add_row(
                    str(feed.id),
                    f"{feed.label}\n{feed.url}" if feed.name else feed.url,
                    state,
                    _when(feed),
                    str(feed.consecutive_failures),
                    error,
                )
            Console(highlight=False, width=160).print(table)
            return 0
        if args.feeds_command == "export":
            feeds = [feed.config for feed in await runtime.db(store.feeds.all)]
            sys.stdout.write(dump_feeds_yaml(runtime.poll_interval, feeds))
            return 0
        if args.feeds_command == "add":
            url = args.url.strip()
            if canonical_link(url) is None:
                raise ConfigError(f"{url}: not an http(s) URL")
            if await runtime.db(store.feeds.by_url, url):
                raise ConfigError(f"{url} is already in the feed list")
            interval = parse_duration(args.interval) if args.interval else runtime.poll_interval
            new_feed = FeedConfig(url=url, name=args.name, lang=args.lang, interval_seconds=interval)
            added = await runtime.db(store.feeds.add, new_feed, runtime.clock.now(), "cli")
            print(f"added feed {added.id}: {added.label}")
            return 0
        record = await runtime.db(_find_feed, runtime, args.feed)
        if record is None:
            raise ConfigError(f"no feed {args.feed!r}; `electionwatch feeds list` shows ids and URLs")
        await runtime.db(store.feeds.remove, record.id)
        print(f"removed feed {record.id}: {record.label} (its stored items are kept)")
        if record.source == "config":
            print("it is listed in feeds.yaml and comes back at the next start unless removed there")
        return 0

    return _with_runtime(args, body)


def cmd_retag(args: argparse.Namespace) -> int:
    """Recompute the tags of every stored item with the current knowledge."""

    async def body(runtime: Runtime) -> int:
        def retag() -> tuple[int, int]:
            changed = total = 0
            by_feed: dict[int, list[StoredItem]] = defaultdict(list)
            for item in runtime.store.items.iter_all():
                by_feed[item.feed_id].append(item)
            with runtime.store.transaction():
                for items in by_feed.values():
                    # Tagged as polling does: item by item, then in the context of the item's feed.
                    retagged = in_feed_context([runtime.tagger.tag(i.title, i.summary, i.lang) for i in items])
                    for item, tags in zip(items, retagged, strict=True):
                        total += 1
                        if tags != item.tags:
                            runtime.store.items.update_tags(item.id, tags)
                            changed += 1
            return changed, total

        changed, total = await runtime.db(retag)
        print(f"retagged {total} items: {changed} changed")
        return 0

    return _with_runtime(args, body)


def cmd_stories(args: argparse.Namespace) -> int:
    """List recent stories with every source that carried them."""

    async def body(runtime: Runtime) -> int:
        listings = await runtime.db(runtime.store.stories.recent, args.limit, args.all)
        if not listings:
            print("no stories yet: `electionwatch poll --once` fetches the feeds")
            return 0
        for story in listings:
            tags = ", ".join((*story.countries, *story.bodies)) or "-"
            mark = "" if story.relevant else " (not relevant)"
            print(f"#{story.id}  {story.first_seen:%Y-%m-%d %H:%M}  {story.title}{mark}\n    {tags}")
            for source in story.sources:
                print(f"    - {source.feed} [{source.lang}]: {source.link}")
        return 0

    return _with_runtime(args, body)


def cmd_explain(args: argparse.Namespace) -> int:
    """Print why an item was tagged as it was."""

    async def body(runtime: Runtime) -> int:
        key = canonical_link(args.link)
        item = await runtime.db(runtime.store.items.by_link, key) if key else None
        if item is None:
            raise ConfigError(f"no stored item has the link {args.link}")
        print(f"{item.title}\n{item.link}\nlanguage: {item.lang}   story: {item.story_id}")
        tags = item.tags
        print(f"relevant: {'yes' if tags.relevant else 'no'}")
        print(f"countries: {', '.join(tags.countries) or '-'}")
        print(f"bodies: {', '.join(tags.bodies) or '-'}")
        for evidence in tags.evidence:
            print(f"  {evidence.tag:<28} {evidence.rule:<28} «{evidence.span}»")
        return 0

    return _with_runtime(args, body)


def cmd_prune(args: argparse.Namespace) -> int:
    """Remove stories untouched for a number of days; their items' keys stay so they never return as new."""

    async def body(runtime: Runtime) -> int:
        days = args.older_than if args.older_than is not None else runtime.settings.retention_days
        if days <= 0:
            print("retention is 0 (keep everything): nothing pruned; pass --older-than DAYS to prune anyway")
            return 0
        with Progress(
            TextColumn("{task.description}"), TimeElapsedColumn(), console=Console(stderr=True), transient=True
        ) as progress:
            task = progress.add_task("pruning…", total=None)

            def show(totals: PruneTotals) -> None:
                progress.update(task, description=f"pruned {totals.stories} stories, {totals.items} items…")

            totals = await prune(runtime.store, runtime.db, runtime.clock, days, on_batch=show)
        print(
            f"pruned {totals.stories} stories ({totals.items} items) not updated for {days} days; "
            f"{totals.tombstones} keys kept so they are never taken for new"
        )
        return 0

    return _with_runtime(args, body)


def cmd_status(args: argparse.Namespace) -> int:
    """Print the bot's health: feeds failing or disabled, last successful poll, outbox depth."""

    async def body(runtime: Runtime) -> int:
        health = await runtime.db(runtime.store.health)
        for line in health.lines(runtime.clock.now()):
            print(line)
        return 0

    return _with_runtime(args, body)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="electionwatch", description="Watch news feeds for election observation.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, config: bool = True) -> None:
        p.add_argument("--db", help="SQLite database (default ./electionwatch.db or $ELECTIONWATCH_DB)")
        if config:
            p.add_argument("--config", help="feeds.yaml to load (default ./feeds.yaml when present)")

    p = sub.add_parser("run", help="run the bot: poll on schedule and deliver new stories")
    common(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("poll", help="poll every enabled feed (with --once: once, then exit)")
    p.add_argument("--once", action="store_true", help="poll once and exit")
    common(p)
    p.set_defaults(func=cmd_poll)
    p = sub.add_parser("demo", help="poll the bundled sample feeds offline and print the stories")
    p.add_argument("--db", default="electionwatch-demo.db", help="demo database (recreated each run)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("export", help="export every item received")
    common(p, config=False)
    p.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format")
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("retag", help="recompute tags of stored items after the knowledge changed")
    common(p, config=False)
    p.set_defaults(func=cmd_retag)
    p = sub.add_parser("status", help="health: failing feeds, last successful poll, outbox depth")
    common(p, config=False)
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("prune", help="remove old stories, keeping their keys so they never return as new")
    p.add_argument(
        "--older-than",
        type=int,
        metavar="DAYS",
        help="stories not updated for this many days (default: $ELECTIONWATCH_RETENTION_DAYS, 365)",
    )
    common(p, config=False)
    p.set_defaults(func=cmd_prune)
    p = sub.add_parser("stories", help="recent stories with the outlets and links that carried them")
    p.add_argument("--limit", type=int, default=20, help="how many stories (default 20)")
    p.add_argument("--all", action="store_true", help="include stories tagged not relevant")
    common(p, config=False)
    p.set_defaults(func=cmd_stories)
    p = sub.add_parser("explain", help="why an item was tagged as it was")
    p.add_argument("link", help="the item's link")
    common(p, config=False)
    p.set_defaults(func=cmd_explain)

    feeds = sub.add_parser("feeds", help="list, add, remove or export feeds")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True)
    p = feeds_sub.add_parser("list", help="feeds with their health")
    common(p)
    p = feeds_sub.add_parser("add", help="add a feed")
    p.add_argument("url")
    p.add_argument("--name")
    p.add_argument("--lang")
    p.add_argument("--interval", help="30s, 10m, 1h or seconds")
    common(p)
    p = feeds_sub.add_parser("remove", help="remove a feed by id or URL")
    p.add_argument("feed", help="feed id or URL")
    common(p)
    p = feeds_sub.add_parser("export", help="print the feed list in feeds.yaml format")
    common(p)
    feeds.set_defaults(func=cmd_feeds)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    args = build_parser().parse_args(argv)
    # python-telegram-bot 22 reports durations (RetryAfter.retry_after) as timedelta only when asked to,
    # and warns about the old int form otherwise.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        result: int = args.func(args)
        return result
    except ElectionWatchError as error:
        print(f"electionwatch: {error.message}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"electionwatch: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
