"""/subscribe, /unsubscribe and /subscriptions."""

from __future__ import annotations

from bot.errors import UserError
from bot.models import Filter, Subscription
from handlers.filters import describe_filter, parse_filter
from handlers.stories import SCAN_LIMIT, matching_story_ids
from handlers.types import Command, Reply, Services


async def require_chat_rights(cmd: Command, services: Services) -> None:
    """In a group, only its administrators (and bot admins) change what the group receives."""
    if cmd.is_group and cmd.user_key not in services.admins and not await cmd.is_chat_admin():
        raise UserError("Only this group's administrators can change its subscriptions.")


async def subscribe(cmd: Command, services: Services) -> list[Reply]:
    """Add one filter to this chat (its terms ANDed; a chat's filters ORed)."""
    filter_ = parse_filter(cmd.args, services.knowledge)
    await require_chat_rights(cmd, services)
    store = services.store

    def save() -> tuple[bool, int]:
        chat = store.subscriptions.ensure_chat(cmd.chat, services.clock.now(), cmd.chat_title, cmd.is_group)
        if store.subscriptions.count_for_chat(chat.id) >= services.max_subscriptions_per_chat:
            raise UserError(
                f"This chat already has {services.max_subscriptions_per_chat} subscriptions, the most allowed. "
                "Remove one with /unsubscribe first."
            )
        added = store.subscriptions.add(chat.id, filter_, services.clock.now(), cmd.user_key)
        return added, len(matching_story_ids(services, [filter_], SCAN_LIMIT))

    added, matching = await services.db(save)
    described = describe_filter(filter_, services.knowledge)
    if not added:
        return [Reply(f"This chat already follows {described}.")]
    backlog = (
        f"{matching} stored {'story matches' if matching == 1 else 'stories match'}: /latest shows them."
        if matching
        else "No stored story matches yet; new ones will arrive here."
    )
    return [Reply(f"Subscribed to {described}. {backlog}")]


def _numbered(subscriptions: list[Subscription], services: Services) -> str:
    return "\n".join(
        f"{number}. {describe_filter(sub.filter, services.knowledge)}"
        for number, sub in enumerate(subscriptions, start=1)
    )


async def list_subscriptions(cmd: Command, services: Services) -> list[Reply]:
    """This chat's filters, numbered for /unsubscribe N."""
    subscriptions = await services.db(chat_subscriptions, cmd, services)
    if not subscriptions:
        return [Reply("This chat has no subscriptions. Try /subscribe Kazakhstan odihr or /subscribe all.")]
    return [Reply("This chat follows:\n" + _numbered(subscriptions, services) + "\n\n/unsubscribe N removes one.")]


def chat_subscriptions(cmd: Command, services: Services) -> list[Subscription]:
    """The chat's subscriptions (runs on the database thread)."""
    chat = services.store.subscriptions.chat(cmd.chat)
    return services.store.subscriptions.for_chat(chat.id) if chat else []


async def unsubscribe(cmd: Command, services: Services) -> list[Reply]:
    """Remove a filter by number, by its terms, or all of them."""
    args = cmd.args.strip()
    if not args:
        raise UserError("Say which: /unsubscribe 2, /unsubscribe Kazakhstan odihr, or /unsubscribe all.")
    await require_chat_rights(cmd, services)
    subscriptions = await services.db(chat_subscriptions, cmd, services)
    if not subscriptions:
        return [Reply("This chat has no subscriptions.")]
    if args.casefold() == "all":
        chosen = subscriptions
    elif args.replace(",", " ").replace(" ", "").isdigit():
        numbers = [int(part) for part in args.replace(",", " ").split()]
        wrong = [n for n in numbers if not 1 <= n <= len(subscriptions)]
        if wrong:
            raise UserError(f"There is no subscription {wrong[0]}; /subscriptions lists them (1–{len(subscriptions)}).")
        chosen = [subscriptions[n - 1] for n in numbers]
    else:
        wanted: Filter = parse_filter(args, services.knowledge)
        chosen = [sub for sub in subscriptions if sub.filter.canonical == wanted.canonical]
        if not chosen:
            raise UserError(
                "This chat has no subscription with exactly those terms:\n"
                + _numbered(subscriptions, services)
                + "\n/unsubscribe N removes one by number."
            )
    removed = await services.db(services.store.subscriptions.remove, [sub.id for sub in chosen])
    names = "; ".join(describe_filter(sub.filter, services.knowledge) for sub in chosen)
    return [Reply(f"Unsubscribed from {names}." if removed == 1 else f"Removed {removed} subscriptions: {names}.")]
