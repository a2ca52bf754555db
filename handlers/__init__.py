"""Platform-neutral chat commands: ``dispatch(Command, Services) -> list[Reply]``.

Every command is declared once in ``COMMANDS``; the help text, Telegram's command menu and the
Slack manifest are checked against it in the tests.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import UserError
from handlers import admin, help, search, subscriptions
from handlers.types import Command, Reply, Services

log = logging.getLogger(__name__)

Handler = Callable[[Command, Services], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class CommandSpec:
    """One command: its name, arguments, one-line help, whether only bot admins may use it."""

    name: str
    usage: str
    summary: str
    run: Handler
    admin_only: bool = False


_SPECS = [
    CommandSpec("start", "", "what this bot does", help.help_text),
    CommandSpec("help", "", "commands and this chat's subscriptions", help.help_text),
    CommandSpec(
        "subscribe", "TERMS", 'follow a country, body, "phrase" or all; -term excludes', subscriptions.subscribe
    ),
    CommandSpec("unsubscribe", "N|TERMS|all", "stop following", subscriptions.unsubscribe),
    CommandSpec("subscriptions", "", "this chat's subscriptions, numbered", subscriptions.list_subscriptions),
    CommandSpec("latest", "[TERMS] [page]", "the latest matching stories", search.latest),
    CommandSpec("search", "QUERY [page]", "search every stored item", search.search),
    CommandSpec("explain", "LINK", "why an item was tagged as it was", search.explain),
    CommandSpec("addfeed", "URL [name]", "add a feed (admins)", admin.addfeed, admin_only=True),
    CommandSpec("removefeed", "ID|URL", "remove a feed (admins)", admin.removefeed, admin_only=True),
    CommandSpec("pausefeed", "ID|URL", "pause a feed (admins)", admin.pausefeed, admin_only=True),
    CommandSpec("resumefeed", "ID|URL", "resume a feed (admins)", admin.resumefeed, admin_only=True),
    CommandSpec("feeds", "", "feeds and their health (admins)", admin.feeds, admin_only=True),
]
COMMANDS: dict[str, CommandSpec] = {spec.name: spec for spec in _SPECS}

SORRY = "Something went wrong on my side; nothing was changed. The administrators can find the details in the log."


async def dispatch(cmd: Command, services: Services) -> list[Reply]:
    """Run a command; user mistakes become a clear private reply, and no traceback ever reaches a chat."""
    allowed, wait = services.command_limit.check(cmd.chat.key, services.clock.now())
    if not allowed:
        if not services.command_limit.first_refusal(cmd.chat.key):
            return []
        per_minute = services.command_limit.per_minute
        return [
            Reply(
                f"Too many commands from this chat: at most {per_minute} a minute. Try again in {wait:.0f} s.",
                private=True,
            )
        ]
    spec = COMMANDS.get(cmd.name.lower())
    if spec is None:
        return [Reply(f"I don't know /{cmd.name[:50]}. /help lists the commands.", private=True)]
    try:
        return await spec.run(cmd, services)
    except UserError as error:
        return [Reply(error.message, private=True)]
    except Exception:
        log.exception("command /%s failed in %s", cmd.name, cmd.chat.key)
        return [Reply(SORRY, private=True)]
