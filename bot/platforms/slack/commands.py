"""Commands in: ``/electionwatch SUBCOMMAND`` and ``@ElectionWatch SUBCOMMAND`` → Command → dispatch → replies."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import ChatRef
from bot.platforms.slack.render import SLASH_COMMAND, render_reply
from handlers import dispatch
from handlers.types import Command, Services

log = logging.getLogger(__name__)

PLATFORM = "slack"
_SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def unformat(text: str) -> str:
    """What the user typed, without Slack's markup: ``<https://x|x>`` → ``https://x``, ``&amp;`` → ``&``."""

    def plain(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("#", "@", "!")):
            return label or target
        return target

    text = _SLACK_MARKUP.sub(plain, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def _not_admin() -> bool:
    return False


def to_command(
    text: str,
    channel_id: str,
    user_id: str,
    *,
    channel_name: str | None = None,
    is_chat_admin: Callable[[], Awaitable[bool]] = _not_admin,
) -> Command:
    """``subscribe Kazakhstan`` typed in a channel → Command; the subscription belongs to the channel."""
    words = unformat(text).strip().split(maxsplit=1)
    return Command(
        name=words[0].lower().lstrip("/") if words else "help",
        args=words[1].strip() if len(words) > 1 else "",
        chat=ChatRef(PLATFORM, channel_id),
        user_id=user_id,
        # DM channel ids start with D; everything else is shared with other people.
        is_group=not channel_id.startswith("D"),
        chat_title=channel_name,
        is_chat_admin=is_chat_admin,
    )


def workspace_admin_check(client: AsyncWebClient, user_id: str) -> Callable[[], Awaitable[bool]]:
    """Slack channels have no administrators of their own: workspace admins and owners count as such."""

    async def check() -> bool:
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError:
            return False
        user = response.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner"))

    return check


class SeenEvents:
    """Event ids already handled, so Slack's retries (X-Slack-Retry-Num) are acked and ignored; bounded."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """Record the id; False when it was seen before."""
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True


_MENTION = re.compile(r"^.*?<@[A-Z0-9]+(?:\|[^>]*)?>", re.DOTALL)


def build_slack_app(
    services: Services, client: AsyncWebClient, signing_secret: str | None, seen: SeenEvents | None = None
) -> AsyncApp:
    """The bolt app: ``/electionwatch SUBCOMMAND`` and ``@ElectionWatch SUBCOMMAND`` go to ``dispatch``."""
    app = AsyncApp(client=client, signing_secret=signing_secret or "", name="electionwatch")
    seen = seen or SeenEvents()

    @app.middleware
    async def skip_retried_events(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not seen.first_time(event_id):
            log.info("ignoring event %s delivered again", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    @app.command(SLASH_COMMAND)
    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()  # Slack wants the ack within 3 s; the work happens after it
        user_id = command["user_id"]
        cmd = to_command(
            command.get("text") or "",
            command["channel_id"],
            user_id,
            channel_name=command.get("channel_name"),
            is_chat_admin=workspace_admin_check(client, user_id),
        )
        for reply in await dispatch(cmd, services):
            for message in render_reply(reply):
                await respond(
                    text=message.text,
                    blocks=message.blocks,
                    response_type="ephemeral" if reply.private else "in_channel",
                    replace_original=False,
                )

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any]) -> None:
        channel, user_id = event["channel"], event["user"]
        thread_ts = event.get("thread_ts")
        cmd = to_command(
            _MENTION.sub("", event.get("text") or "", count=1),
            channel,
            user_id,
            is_chat_admin=workspace_admin_check(client, user_id),
        )
        for reply in await dispatch(cmd, services):
            for message in render_reply(reply):
                if reply.private:
                    await client.chat_postEphemeral(
                        channel=channel, user=user_id, text=message.text, blocks=message.blocks, thread_ts=thread_ts
                    )
                else:
                    await client.chat_postMessage(
                        channel=channel,
                        text=message.text,
                        blocks=message.blocks,
                        thread_ts=thread_ts,
                        unfurl_links=False,
                        unfurl_media=False,
                    )

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack handler failed: %s", error, exc_info=error)

    return app
