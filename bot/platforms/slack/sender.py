"""Deliveries out: stories posted with chat.postMessage and updated with chat.update; errors translated."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BadFormat, ChatGone, DeliveryError, RetryLater, SendFailed
from bot.models import ChatRef, Summary
from bot.platforms.slack.render import render_blocks

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


class SlackSender:
    """Posts and updates story messages with chat.postMessage / chat.update."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send(self, chat: ChatRef, summary: Summary, *, plain: bool) -> str:
        """Post a story; return its ``ts``, Slack's message id."""
        blocks, fallback = render_blocks(summary)
        response = await self._call(
            self.client.chat_postMessage(
                channel=chat.chat_id,
                text=fallback,
                blocks=None if plain else blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        )
        return str(response["ts"])

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
