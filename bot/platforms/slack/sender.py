"""Deliveries out: stories posted with chat.postMessage and updated with chat.update; errors translated.

Every post carries message metadata naming its outbox row, so a post in doubt (the connection dropped
after Slack may have accepted it) is looked up in the channel's history before it is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BadFormat, ChatGone, DeliveryError, RetryLater, SendFailed
from bot.models import ChatRef, Summary
from bot.platforms.slack.render import render_blocks

log = logging.getLogger(__name__)

METADATA_EVENT = "electionwatch_story"
# Slack stamps ``ts`` with its own clock; looking a little before our claim time covers a skewed host clock.
CLOCK_SKEW_SECONDS = 120
HISTORY_PAGE = 200
# At most this many pages (1,000 messages since the claim) are searched; past that the story is resent.
HISTORY_PAGES = 5

# Errors that mean the channel cannot receive from us any more, and errors about the formatting.
_GONE = {"channel_not_found", "not_in_channel", "is_archived", "account_inactive"}
_FORMAT = {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "no_text"}


def translate_error(error: SlackApiError) -> DeliveryError:
    """Slack Web API errors → the neutral delivery errors (bot/errors.py)."""
    response = error.response
    code = str(response.get("error") or "") if isinstance(response.data, dict) else ""
    if response.status_code == 429 or code == "ratelimited":
        headers = {str(key).lower(): value for key, value in (response.headers or {}).items()}
        retry_after = str(headers.get("retry-after", "1"))
        return RetryLater(float(retry_after) if retry_after.isdigit() else 1.0)
    if code in _GONE:
        return ChatGone(f"Slack: {code}")
    if code in _FORMAT:
        return BadFormat(f"Slack: {code}")
    return SendFailed(f"Slack: {code or f'HTTP {response.status_code}'}")


def _metadata(summary: Summary, delivery_id: int) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": delivery_id, "story_id": summary.story_id}}


class SlackSender:
    """Posts and updates story messages with chat.postMessage / chat.update.

    The client must not resend on its own (slack_sdk's default retry handler posts again when the
    connection drops, which shows a story twice): give it ``retry_handlers=[]``; in-doubt posts are
    reconciled instead.
    """

    def __init__(self, client: AsyncWebClient, *, history_page: int = HISTORY_PAGE) -> None:
        self.client = client
        self.history_page = history_page
        self._history_errors: set[str] = set()

    async def send(self, chat: ChatRef, summary: Summary, *, plain: bool, delivery_id: int) -> str:
        """Post a story; return its ``ts``, Slack's message id."""
        blocks, fallback = render_blocks(summary)
        response = await self._call(
            self.client.chat_postMessage(
                channel=chat.chat_id,
                text=fallback,
                blocks=None if plain else blocks,
                unfurl_links=False,
                unfurl_media=False,
                metadata=_metadata(summary, delivery_id),
            )
        )
        return str(response["ts"])

    async def reconcile(self, chat: ChatRef, summary: Summary, *, delivery_id: int, since: datetime) -> str | None:
        """The ``ts`` of the post carrying this delivery's metadata, if the channel shows one since ``since``."""
        wanted = _metadata(summary, delivery_id)["event_payload"]
        cursor: str | None = None
        try:
            for _ in range(HISTORY_PAGES):
                response = await self.client.conversations_history(
                    channel=chat.chat_id,
                    oldest=f"{since.timestamp() - CLOCK_SKEW_SECONDS:.6f}",
                    limit=self.history_page,
                    include_all_metadata=True,
                    cursor=cursor,
                )
                for message in response.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    if metadata.get("event_type") == METADATA_EVENT and metadata.get("event_payload") == wanted:
                        return str(message["ts"])
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not response.get("has_more") or not cursor:
                    return None
        except SlackApiError as error:
            self._history_failed(chat, str(error.response.get("error") or error.response.status_code))
        except (TimeoutError, aiohttp.ClientError) as error:
            self._history_failed(chat, type(error).__name__)
        return None

    def _history_failed(self, chat: ChatRef, reason: str) -> None:
        # A missing scope fails for every in-doubt row: one warning says it, the rest would be noise.
        if reason in self._history_errors:
            return
        self._history_errors.add(reason)
        log.warning(
            "cannot read the history of %s (%s): in-doubt stories are sent again and may show twice "
            "(reading it needs the channels:history and groups:history scopes)",
            chat.key,
            reason,
        )

    async def edit(self, chat: ChatRef, message_id: str, summary: Summary, *, plain: bool) -> None:
        """Replace a posted story (to list later sources); ``blocks=[]`` clears blocks Slack would otherwise keep."""
        blocks, fallback = render_blocks(summary)
        await self._call(
            self.client.chat_update(channel=chat.chat_id, ts=message_id, text=fallback, blocks=[] if plain else blocks)
        )

    async def _call(self, request: Awaitable[Any]) -> Any:
        try:
            return await request
        except SlackApiError as error:
            raise translate_error(error) from error
        except TimeoutError as error:
            raise SendFailed("Slack timed out", maybe_sent=True) from error
        except aiohttp.ClientConnectorError as error:
            raise SendFailed(f"Slack unreachable: {error}") from error
        except aiohttp.ClientError as error:
            raise SendFailed(f"Slack network error: {error}", maybe_sent=True) from error
