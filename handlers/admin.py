"""Admin commands: /addfeed, /removefeed, /pausefeed, /resumefeed, /feeds."""

from __future__ import annotations

from bot.errors import UserError
from bot.models import FeedConfig, FeedRecord
from bot.pipeline.normalise import canonical_link
from handlers.types import Command, Reply, Services

DEFAULT_INTERVAL = 600
MAX_URL = 2048


def require_admin(cmd: Command, services: Services) -> None:
    """Only bot admins (ELECTIONWATCH_ADMINS) manage feeds."""
    if cmd.user_key not in services.admins:
        raise UserError("Sorry, only the bot's administrators can manage feeds.")


def _find(services: Services, ref: str) -> FeedRecord:
    ref = ref.strip()
    if not ref:
        raise UserError("Say which feed: its number from /feeds, or its URL.")
    feed = services.store.feeds.get(int(ref)) if ref.isdigit() else services.store.feeds.by_url(ref)
    if feed is None:
        raise UserError(f"No feed “{ref[:100]}”. /feeds lists them with their numbers.")
    return feed


def _polled_at(feeds: list[FeedRecord], url: str) -> FeedRecord | None:
    """The feed polled at ``url`` (or moved from it), comparing canonical forms (case, fragment, utm_* ignored)."""
    key = canonical_link(url)
    for feed in feeds:
        if key is not None and key in {canonical_link(known) for known in (feed.url, feed.moved_from) if known}:
            return feed
    return None


async def addfeed(cmd: Command, services: Services) -> list[Reply]:
    """Check a feed by fetching and parsing it, then poll it from now on."""
    require_admin(cmd, services)
    url, _, name = cmd.args.strip().partition(" ")
    url = url.strip("<>")
    if not url:
        raise UserError("Usage: /addfeed URL [name]")
    if len(url) > MAX_URL or canonical_link(url) is None:
        raise UserError("That is not an http(s) feed URL.")
    if "@" in url.split("/")[2]:
        raise UserError("Feed URLs with a user name or password are not accepted.")
    feeds = await services.db(services.store.feeds.all)
    existing = _polled_at(feeds, url)
    if existing is not None:
        raise UserError(f"That feed is already polled as #{existing.id} ({existing.label}).")
    if len([feed for feed in feeds if feed.source == "chat"]) >= services.max_feeds_from_chat:
        raise UserError(f"The bot already polls {services.max_feeds_from_chat} feeds added from chat.")
    checked = await services.check_feed(url)
    if checked.final_url != url:
        # The URL redirects: a feed already polled at its target is the same feed.
        existing = _polled_at(await services.db(services.store.feeds.all), checked.final_url)
        if existing is not None:
            raise UserError(f"That feed redirects to one already polled as #{existing.id} ({existing.label}).")
    feed = FeedConfig(url=checked.url, name=(name.strip() or checked.title or None), interval_seconds=DEFAULT_INTERVAL)
    record = await services.db(services.store.feeds.add, feed, services.clock.now(), "chat", cmd.user_key)
    await services.feeds_changed()
    return [Reply(f"Added feed #{record.id}: {record.label}. It is polled now and every 10 minutes.")]


async def removefeed(cmd: Command, services: Services) -> list[Reply]:
    """Stop polling a feed and forget it (its stories stay)."""
    require_admin(cmd, services)
    feed = await services.db(_find, services, cmd.args)
    await services.db(services.store.feeds.remove, feed.id)
    await services.feeds_changed()
    note = (
        " It is also in feeds.yaml and returns at the next start unless removed there."
        if feed.source == "config"
        else ""
    )
    return [Reply(f"Removed feed #{feed.id}: {feed.label}.{note}")]


async def _set_enabled(cmd: Command, services: Services, enabled: bool) -> FeedRecord:
    require_admin(cmd, services)
    feed = await services.db(_find, services, cmd.args)
    await services.db(services.store.feeds.set_enabled, feed.id, enabled)
    await services.feeds_changed()
    return feed


async def pausefeed(cmd: Command, services: Services) -> list[Reply]:
    """Stop polling a feed until /resumefeed."""
    feed = await _set_enabled(cmd, services, False)
    return [Reply(f"Paused feed #{feed.id}: {feed.label}. /resumefeed {feed.id} starts it again.")]


async def resumefeed(cmd: Command, services: Services) -> list[Reply]:
    """Poll a paused or disabled feed again, at once."""
    feed = await _set_enabled(cmd, services, True)
    return [Reply(f"Resumed feed #{feed.id}: {feed.label}.")]


def _health(feed: FeedRecord) -> str:
    if not feed.enabled:
        state = f"disabled: {feed.disabled_reason}" if feed.disabled_reason else "paused"
    elif feed.consecutive_failures:
        state = f"failing ({feed.consecutive_failures}×): {feed.last_error}"
    elif feed.bozo_reason:
        state = f"ok, read despite: {feed.bozo_reason[:200]}"
    else:
        state = "ok"
    success = f"{feed.last_success_at:%Y-%m-%d %H:%M} UTC" if feed.last_success_at else "never"
    return f"#{feed.id} {feed.label} — {state}; last success {success}"


async def feeds(cmd: Command, services: Services) -> list[Reply]:
    """Every feed with its health."""
    require_admin(cmd, services)
    records = await services.db(services.store.feeds.all)
    if not records:
        return [Reply("No feeds yet. /addfeed URL adds one.")]
    failing = sum(1 for feed in records if feed.enabled and feed.consecutive_failures)
    disabled = sum(1 for feed in records if not feed.enabled)
    header = f"{len(records)} feeds, {failing} failing, {disabled} paused or disabled:"
    status = await services.db(services.store.health)
    footer = "\n".join(status.lines(services.clock.now()))
    return [Reply(header + "\n" + "\n".join(_health(feed) for feed in records) + "\n\n" + footer)]
