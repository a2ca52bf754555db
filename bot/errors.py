"""Domain errors.

ElectionWatchError
 ├── ConfigError          feeds.yaml or settings are invalid (message names the feed and field)
 ├── UserError            a chat or CLI user can fix it; ``message`` is what to show them
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
