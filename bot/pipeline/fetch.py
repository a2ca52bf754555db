"""Fetch step: download a feed's bytes with conditional GET, a size cap and an overall deadline."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot.errors import (
    BlockedAddress,
    BodyTooLarge,
    EmptyBody,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    TooManyRedirects,
)


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch told us, sent back to skip unchanged feeds."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on one fetch."""

    max_body_bytes: int = 10 * 1024 * 1024
    total_timeout: float = 30.0


@dataclass(frozen=True)
class FetchResult:
    """A fetched feed. ``not_modified`` means a 304: there is no body to parse."""

    url: str
    final_url: str
    status: int
    body: bytes
    headers: dict[str, str]
    validators: Validators
    # Set when every redirect on the way was permanent (301/308): the feed now lives there.
    permanent_url: str | None = None

    @property
    def not_modified(self) -> bool:
        """True when the server said 304 Not Modified."""
        return self.status == 304


# Idle connections kept open between requests. The connection pool checks every pooled connection
# (polling each idle socket) whenever a request starts or ends, so each idle one costs every request;
# feeds are polled minutes apart, so an idle connection is reused only by another feed of the same
# host in the same cycle. A few serve that; 32 made a re-poll of 500 unchanged feeds a third slower.
IDLE_CONNECTIONS_KEPT = 4


def _limits(max_connections: int) -> httpx.Limits:
    return httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=min(IDLE_CONNECTIONS_KEPT, max_connections)
    )


def build_http_client(
    user_agent: str,
    *,
    max_connections: int = 32,
    connect_timeout: float = 10.0,
    read_timeout: float = 20.0,
    max_redirects: int = 5,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The one HTTP client of the process, with timeouts, limits and a descriptive User-Agent."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=10.0, pool=30.0),
        limits=_limits(max_connections),
        follow_redirects=True,
        max_redirects=max_redirects,
        headers={
            "User-Agent": user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/rdf+xml, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        },
        transport=transport,
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Read a Retry-After header given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _status_error(response: httpx.Response, now: datetime) -> FetchError:
    if response.headers.get("cf-mitigated") == "challenge" or (
        response.status_code in (403, 503) and response.headers.get("server", "").lower() == "cloudflare"
    ):
        return HTTPStatusError.cloudflare(response.status_code)
    retry_after = None
    if response.status_code in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    return HTTPStatusError(response.status_code, retry_after)


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes and not response.headers.get("content-encoding"):
        raise BodyTooLarge(f"body of {int(declared):,} bytes is over the {max_bytes:,}-byte limit")
    chunks: list[bytes] = []
    size = 0
    # aiter_bytes yields decompressed bytes, so the cap also stops gzip bombs.
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"body over the {max_bytes:,}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    validators: Validators,
    limits: FetchLimits,
    now: datetime,
) -> FetchResult:
    """Download ``url``; raise a FetchError subclass with a clear message on any failure."""
    headers: dict[str, str] = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    try:
        async with (
            asyncio.timeout(limits.total_timeout),
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code == 304:
                return FetchResult(url, str(response.url), 304, b"", dict(response.headers), validators)
            if response.status_code >= 300:
                raise _status_error(response, now)
            body = await _read_capped(response, limits.max_body_bytes)
    except TimeoutError:
        raise FetchTimeout(f"no complete answer within {limits.total_timeout:g} s") from None
    except httpx.TooManyRedirects:
        raise TooManyRedirects("too many redirects (or a redirect loop)") from None
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"timed out ({type(exc).__name__})") from None
    except httpx.DecodingError as exc:
        raise NetworkError(f"could not decode the compressed body: {exc}") from None
    except httpx.UnsupportedProtocol:
        raise NetworkError("only http and https feed URLs are supported") from None
    except httpx.ConnectError as exc:
        if isinstance(exc.__cause__ or exc.__context__, ssl.SSLError) or "[SSL" in str(exc):
            # A certificate or TLS problem is named as such; there is no insecure fallback.
            raise NetworkError(f"TLS error: {exc}") from None
        raise NetworkError(f"ConnectError: {exc}" if str(exc) else "ConnectError") from None
    except httpx.HTTPError as exc:
        raise NetworkError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
    if not body.strip():
        raise EmptyBody("the server answered 200 with an empty body")
    lowered = {key.lower(): value for key, value in response.headers.items()}
    return FetchResult(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        body=body,
        headers=lowered,
        validators=Validators(etag=lowered.get("etag"), last_modified=lowered.get("last-modified")),
        permanent_url=_permanent_target(response),
    )


def _permanent_target(response: httpx.Response) -> str | None:
    """The final URL when every hop was a permanent redirect; a temporary one (302/303/307) keeps the old URL."""
    if response.history and all(hop.status_code in (301, 308) for hop in response.history):
        return str(response.url)
    return None


Resolver = Callable[[str], Awaitable[list[str]]]


async def system_resolver(host: str) -> list[str]:
    """Every address the system resolver gives for ``host``."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_forbidden_address(address: str) -> bool:
    """Loopback, private, link-local, CGNAT, multicast, reserved, unspecified or IPv4-mapped forms of them."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def _public_addresses(host: str, resolver: Resolver) -> list[str]:
    """Resolve ``host`` and refuse it unless every address is public; IP literals are checked as they are."""
    try:
        addresses = [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        try:
            addresses = await resolver(host)
        except (OSError, UnicodeError) as exc:
            raise NetworkError(f"cannot resolve {host}: {exc}") from None
    if not addresses:
        raise NetworkError(f"cannot resolve {host}: no address")
    for address in addresses:
        if is_forbidden_address(address):
            raise BlockedAddress(f"{host} resolves to {address}, a private or reserved address")
    return addresses


async def ensure_public_host(url: str, resolver: Resolver = system_resolver) -> None:
    """Refuse a URL whose host resolves to an address feeds from chat may not use (SSRF guard)."""
    host = httpx.URL(url).host
    if not host:
        raise BlockedAddress("the URL has no host")
    await _public_addresses(host, resolver)


class PublicOnlyTransport(httpx.AsyncBaseTransport):
    """Checks the address of every request it sends, redirect hops included, and connects to that address.

    The client follows redirects by sending each hop through its transport, so every hop is checked.
    The host is resolved here, checked, and the connection made to the checked address (the Host header
    and TLS server name stay the original host): a DNS answer that changes between the check and the
    connection (rebinding) cannot reach a private address.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, resolver: Resolver = system_resolver) -> None:
        self.inner = inner
        self.resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse private destinations; send the others pinned to the address that was checked."""
        host = request.url.host
        if request.url.scheme not in ("http", "https") or not host:
            raise BlockedAddress("only http and https feed URLs are allowed")
        address = (await _public_addresses(host, self.resolver))[0]
        if address == host.strip("[]"):
            return await self.inner.handle_async_request(request)
        # A copy: the client's own request (and so response.url and redirects) keeps the host name.
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=address),
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        return await self.inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.inner.aclose()


def public_only_transport(max_connections: int = 32, resolver: Resolver = system_resolver) -> PublicOnlyTransport:
    """A transport for feeds from chat: only public addresses, checked at connect time and on every hop."""
    inner = httpx.AsyncHTTPTransport(limits=_limits(max_connections))
    return PublicOnlyTransport(inner, resolver)
