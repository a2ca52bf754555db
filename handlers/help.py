"""/start and /help, generated from the command registry."""

from __future__ import annotations

from handlers.filters import describe_filter
from handlers.subscriptions import chat_subscriptions
from handlers.types import Command, Reply, Services

INTRO = (
    "ElectionWatch follows election-observation news (OSCE/ODIHR, PACE, EU and other missions, "
    "election commissions, citizen observers) in many feeds and languages, and posts one summary per story."
)


async def help_text(cmd: Command, services: Services) -> list[Reply]:
    """What the bot does, its commands, and this chat's subscriptions."""
    from handlers import COMMANDS

    is_admin = cmd.user_key in services.admins
    lines = [INTRO, "", "Commands:"]
    for spec in COMMANDS.values():
        if spec.admin_only and not is_admin:
            continue
        lines.append(f"/{spec.name}{' ' + spec.usage if spec.usage else ''} — {spec.summary}")
    subscriptions = await services.db(chat_subscriptions, cmd, services)
    lines.append("")
    if subscriptions:
        lines.append("This chat follows:")
        lines.extend(
            f"{n}. {describe_filter(sub.filter, services.knowledge)}" for n, sub in enumerate(subscriptions, start=1)
        )
    else:
        lines.append('This chat follows nothing yet. Try /subscribe Kazakhstan odihr, /subscribe "early elections".')
    return [Reply("\n".join(lines), private=True)]
