"""Domain errors.

ElectionWatchError
 ├── ConfigError          feeds.yaml or settings are invalid (message names the feed and field)
 ├── UserError            a chat or CLI user can fix it; ``message`` is what to show them
 ├── DeliveryError        a chat platform refused or failed a send (adapters translate their errors)
 │    ├── RetryLater           rate limited: wait ``seconds`` exactly, then try again
 │    ├── ChatGone             blocked, kicked, archived, not found: deactivate the chat
 │    ├── ChatMoved            the chat has a new id (Telegram group → supergroup): re-key and resend
 │    ├── BadFormat            the platform could not parse the formatted text: resend as plain text
 │    └── SendFailed           network or server error; ``maybe_sent`` when the request may have landed
 └── FetchError           a feed could not be fetched; ``message`` is stored as the feed's last error
      ├── HTTPStatusError      non-2xx answer (``status``); 429 carries ``retry_after``
      ├── FetchTimeout         connect/read/overall deadline reached
      ├── BodyTooLarge         the body exceeded the configured cap (after decompression)
      ├── EmptyBody            200 with nothing in it
      ├── TooManyRedirects     redirect limit reached or a redirect loop
      ├── BlockedAddress       the URL resolves to an address feeds may not use (SSRF guard)
      ├── NotAFeed             the body is an HTML page or unparseable
      └── NetworkError         DNS, TLS, connection refused/reset
"""

from __future__ import annotations


class ElectionWatchError(Exception):
    """Base of every error this project raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(ElectionWatchError):
    """The configuration is invalid."""


class UserError(ElectionWatchError):
    """Something the user asked for cannot be done; ``message`` explains how to fix it."""


class DeliveryError(ElectionWatchError):
    """A chat platform did not accept a message."""


class RetryLater(DeliveryError):
    """Rate limited by the platform."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited: retry after {seconds:g} s")
        self.seconds = seconds


class ChatGone(DeliveryError):
    """The chat can no longer receive messages from the bot."""


class ChatMoved(DeliveryError):
    """The chat now lives under another id."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class BadFormat(DeliveryError):
    """The platform rejected the message's formatting."""


class SendFailed(DeliveryError):
    """A network or server failure; the message may have been delivered when ``maybe_sent``."""

    def __init__(self, message: str, *, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class FetchError(ElectionWatchError):
    """A feed could not be fetched."""


class HTTPStatusError(FetchError):
    """The server answered with a non-success status."""

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        text = f"HTTP {status}"
        if retry_after is not None:
            text += f" (retry after {retry_after:.0f} s)"
        super().__init__(text)
        self.status = status
        self.retry_after = retry_after

    @classmethod
    def cloudflare(cls, status: int) -> HTTPStatusError:
        """A bot challenge page (Cloudflare) instead of the feed."""
        error = cls(status)
        error.message = f"HTTP {status}: blocked by a Cloudflare bot challenge"
        error.args = (error.message,)
        return error


class FetchTimeout(FetchError):
    """A deadline was reached."""


class BodyTooLarge(FetchError):
    """The body exceeded the size cap."""


class EmptyBody(FetchError):
    """The server answered 200 with an empty body."""


class TooManyRedirects(FetchError):
    """Too many redirects, or a loop."""


class BlockedAddress(FetchError):
    """The feed's host resolves to an address that is not allowed."""


class NotAFeed(FetchError):
    """The body is not a feed (HTML page, garbage)."""


class NetworkError(FetchError):
    """Lower-level network failure."""
