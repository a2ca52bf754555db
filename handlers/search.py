"""/latest, /search and /explain."""

from __future__ import annotations

from bot.errors import UserError
from bot.models import Filter, Summary, Term
from bot.pipeline.normalise import canonical_link
from handlers.filters import describe_filter, parse_filter
from handlers.stories import PAGE_SIZE, matching_story_ids, summaries
from handlers.subscriptions import chat_subscriptions
from handlers.types import Command, Reply, Services

MAX_PAGE = 20


def split_page(args: str) -> tuple[str, int]:
    """A trailing number is the page: ``Kazakhstan 2`` → (``Kazakhstan``, 2)."""
    words = args.split()
    if words and words[-1].isdigit():
        page = int(words[-1])
        if not 1 <= page <= MAX_PAGE:
            raise UserError(f"Pages go from 1 to {MAX_PAGE}.")
        return " ".join(words[:-1]), page
    return args.strip(), 1


async def latest(cmd: Command, services: Services) -> list[Reply]:
    """The latest stories matching the given terms, or this chat's subscriptions."""
    terms, page = split_page(cmd.args)
    if terms:
        filters = [parse_filter(terms, services.knowledge)]
        scope = describe_filter(filters[0], services.knowledge)
    else:
        filters = [sub.filter for sub in await services.db(chat_subscriptions, cmd, services)]
        scope = "this chat's subscriptions"
        if not filters:
            filters = [Filter((Term("all", "all"),))]
            scope = "all relevant stories"

    def find() -> tuple[tuple[Summary, ...], bool]:
        ids = matching_story_ids(services, filters, page * PAGE_SIZE + 1)
        shown = ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return summaries(services, shown), len(ids) > page * PAGE_SIZE

    found, more = await services.db(find)
    if not found:
        return [Reply(f"No stories for {scope}" + (f" on page {page}." if page > 1 else " yet."))]
    header = f"Latest stories for {scope}" + (f", page {page}" if page > 1 else "") + ":"
    footer = f"\nMore: /latest {terms + ' ' if terms else ''}{page + 1}" if more else ""
    return [Reply(header, stories=found), *([Reply(footer.strip())] if footer else [])]


async def search(cmd: Command, services: Services) -> list[Reply]:
    """Full-text search over every stored item, newest first."""
    query, page = split_page(cmd.args)
    words = [word for word in query.replace('"', " ").split() if word.strip("*")]
    if not words:
        raise UserError("Say what to look for: /search early elections")
    if len(query) > 200:
        raise UserError("That search is too long (200 characters at most).")

    def find() -> tuple[Summary, ...]:
        rows = services.store.items.search(words, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        story_ids = list(dict.fromkeys(item.story_id for item, _ in rows if item.story_id is not None))
        return summaries(services, story_ids)

    found = await services.db(find)
    query = " ".join(words)
    if not found:
        return [Reply(f"Nothing found for “{query}”" + (f" on page {page}." if page > 1 else "."))]
    return [Reply(f"Found for “{query}”" + (f", page {page}" if page > 1 else "") + ":", stories=found)]


async def explain(cmd: Command, services: Services) -> list[Reply]:
    """Why an item was tagged as it was."""
    link = cmd.args.strip().strip("<>")
    key = canonical_link(link)
    if key is None:
        raise UserError("Give the item's link: /explain https://…")
    item = await services.db(services.store.items.by_link, key)
    if item is None:
        raise UserError("I have no item with that link.")
    tags = item.tags
    knowledge = services.knowledge
    lines = [
        item.title,
        f"Relevant: {'yes' if tags.relevant else 'no'}",
        "Countries: " + (", ".join(knowledge.country_label(code) for code in tags.countries) or "none"),
        "Bodies: " + (", ".join(knowledge.body_label(body) for body in tags.bodies) or "none"),
    ]
    if tags.evidence:
        lines.append("Evidence:")
        lines.extend(f"• {ev.tag}: “{ev.span}” ({ev.rule})" for ev in tags.evidence[:25])
    return [Reply("\n".join(lines))]
