"""SSRF guard for feeds from chat: checklist rows 11–13 and 63–65 (docs/RELIABILITY.md).

DNS is replaced by a stub resolver and the network beyond 127.0.0.1 by ``httpx.MockTransport``: these
tests never connect outside the machine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.app import Runtime, build_runtime
from bot.clock import FrozenClock
from bot.errors import BlockedAddress
from bot.models import ChatRef, FeedConfig
from bot.pipeline.fetch import (
    FetchLimits,
    PublicOnlyTransport,
    Validators,
    build_http_client,
    ensure_public_host,
    fetch,
    is_forbidden_address,
)
from bot.pipeline.poll import poll_feed
from bot.settings import Settings
from handlers import dispatch
from handlers.types import Command
from tests.conftest import KeywordTagger
from tests.fakes.feed_server import FeedServer, rss

NOW = datetime(2026, 4, 27, 12, 0, tzinfo=UTC)
PUBLIC = "93.184.216.34"
BODY = rss([{"title": "Election news", "link": "https://n.example/1", "guid": "1"}])

FORBIDDEN = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.5.4",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "ff02::1",
]


class StubResolver:
    """Answers from a table; a list of answers is consumed one per lookup (the last one repeats)."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.lookups.append(host)
        answers = self.table.get(host)
        if not answers:
            raise OSError(f"unknown host {host}")
        return answers.pop(0) if len(answers) > 1 else answers[0]


class Upstream:
    """The "internet" behind the guard: records what reached it, answers from a table."""

    def __init__(self, answers: dict[str, httpx.Response] | None = None) -> None:
        self.answers = answers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.get(request.headers["host"], httpx.Response(200, content=BODY))


def guarded(resolver: StubResolver, upstream: Upstream) -> httpx.AsyncClient:
    return build_http_client("test", transport=PublicOnlyTransport(httpx.MockTransport(upstream), resolver))


@pytest.mark.parametrize("address", FORBIDDEN)
def test_row_11_forbidden_address_kinds(address: str) -> None:
    """Row 11: loopback, private, link-local, CGNAT, multicast, reserved, unspecified and IPv4-mapped forms."""
    assert is_forbidden_address(address)


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "8.8.8.8"])
def test_row_11_public_addresses_allowed(address: str) -> None:
    """Row 11: a public address passes."""
    assert not is_forbidden_address(address)


@pytest.mark.parametrize("address", FORBIDDEN)
async def test_row_11_host_resolving_to_private_address_refused_before_any_request(address: str) -> None:
    """Row 11: the host resolves to a forbidden address → refused with a clear message, nothing sent."""
    resolver = StubResolver({"feed.example": [[address]]})
    upstream = Upstream()
    with pytest.raises(BlockedAddress, match="private or reserved address"):
        await ensure_public_host("https://feed.example/rss", resolver)
    async with guarded(StubResolver({"feed.example": [[address]]}), upstream) as client:
        with pytest.raises(BlockedAddress, match=r"feed\.example resolves to .*private or reserved"):
            await fetch(client, "https://feed.example/rss", Validators(), FetchLimits(), NOW)
    assert upstream.requests == []


async def test_row_11_one_private_answer_among_public_ones_is_refused() -> None:
    """Row 11: every address the resolver returns is checked, not only the first."""
    upstream = Upstream()
    async with guarded(StubResolver({"feed.example": [[PUBLIC, "10.0.0.7"]]}), upstream) as client:
        with pytest.raises(BlockedAddress):
            await fetch(client, "http://feed.example/rss", Validators(), FetchLimits(), NOW)
    assert upstream.requests == []


async def test_row_11_ip_literal_urls_refused_without_dns() -> None:
    """Row 11: URLs written with a private IP literal (v4, v6, IPv4-mapped) are refused too."""
    resolver = StubResolver({})
    upstream = Upstream()
    async with guarded(resolver, upstream) as client:
        for url in ("http://127.0.0.1:8080/", "http://[::1]/feed", "http://[::ffff:169.254.169.254]/latest"):
            with pytest.raises(BlockedAddress):
                await fetch(client, url, Validators(), FetchLimits(), NOW)
    assert resolver.lookups == []
    assert upstream.requests == []


async def test_row_11_public_host_is_fetched_pinned_to_the_checked_address() -> None:
    """Rows 11/13: the connection goes to the address that was checked; Host and TLS name stay the host."""
    upstream = Upstream()
    async with guarded(StubResolver({"feed.example": [[PUBLIC]]}), upstream) as client:
        result = await fetch(client, "https://feed.example/rss", Validators(), FetchLimits(), NOW)
    assert result.body == BODY
    assert result.final_url == "https://feed.example/rss"
    [sent] = upstream.requests
    assert sent.url.host == PUBLIC
    assert sent.headers["host"] == "feed.example"
    assert sent.extensions["sni_hostname"] == "feed.example"


async def test_row_12_redirect_to_loopback_refused(feed_server: FeedServer) -> None:
    """Row 12: a public URL that 302-redirects to a loopback server is refused at the redirect hop."""
    target = feed_server.add("/internal", body=BODY)
    upstream = Upstream({"public.example": httpx.Response(302, headers={"Location": target})})
    async with guarded(StubResolver({"public.example": [[PUBLIC]]}), upstream) as client:
        with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1"):
            await fetch(client, "https://public.example/feed", Validators(), FetchLimits(), NOW)
    assert len(upstream.requests) == 1
    assert feed_server.hits.get("/internal", 0) == 0


async def test_row_12_redirect_to_a_name_resolving_private_refused() -> None:
    """Row 12: the redirect target's host is resolved and checked like the first hop."""
    upstream = Upstream(
        {"public.example": httpx.Response(301, headers={"Location": "http://metadata.example/latest/meta-data"})}
    )
    resolver = StubResolver({"public.example": [[PUBLIC]], "metadata.example": [["169.254.169.254"]]})
    async with guarded(resolver, upstream) as client:
        with pytest.raises(BlockedAddress, match=r"169\.254\.169\.254"):
            await fetch(client, "https://public.example/feed", Validators(), FetchLimits(), NOW)
    assert resolver.lookups == ["public.example", "metadata.example"]
    assert [r.headers["host"] for r in upstream.requests] == ["public.example"]


async def test_row_12_redirect_between_public_hosts_still_works() -> None:
    """Row 12: the guard does not break ordinary redirects."""
    upstream = Upstream({"old.example": httpx.Response(301, headers={"Location": "https://new.example/rss"})})
    resolver = StubResolver({"old.example": [[PUBLIC]], "new.example": [["93.184.216.35"]]})
    async with guarded(resolver, upstream) as client:
        result = await fetch(client, "https://old.example/rss", Validators(), FetchLimits(), NOW)
    assert result.final_url == "https://new.example/rss"
    assert result.body == BODY


async def test_row_13_dns_rebinding_refused_at_connect_time() -> None:
    """Row 13: the name resolves public when validated and private when connecting → refused."""
    resolver = StubResolver({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    upstream = Upstream()
    await ensure_public_host("https://rebind.example/feed", resolver)  # the validation sees a public address
    async with guarded(resolver, upstream) as client:
        with pytest.raises(BlockedAddress, match=r"rebind\.example resolves to 127\.0\.0\.1"):
            await fetch(client, "https://rebind.example/feed", Validators(), FetchLimits(), NOW)
    assert upstream.requests == []


@pytest.fixture
async def guarded_runtime(tmp_path: Path) -> AsyncIterator[tuple[Runtime, StubResolver, Upstream]]:
    resolver = StubResolver({"rebind.example": [[PUBLIC], ["10.0.0.9"]], "good.example": [[PUBLIC]]})
    upstream = Upstream()
    settings = Settings(db=tmp_path / "g.db", admins="telegram:1", fetch_timeout=5.0)
    runtime = build_runtime(
        settings,
        clock=FrozenClock(NOW),
        tagger=KeywordTagger(),
        resolver=resolver,
        guarded_transport=PublicOnlyTransport(httpx.MockTransport(upstream), resolver),
    )
    yield runtime, resolver, upstream
    await runtime.aclose()


def admin_command(text: str) -> Command:
    name, _, args = text.lstrip("/").partition(" ")
    return Command(name, args, ChatRef("telegram", "1", None), "1")


async def test_row_13_addfeed_rebinding_refused_and_nothing_stored(
    guarded_runtime: tuple[Runtime, StubResolver, Upstream],
) -> None:
    """Row 13 end to end: /addfeed validates a public answer, the fetch sees a private one → refused."""
    runtime, _, upstream = guarded_runtime
    [reply] = await dispatch(admin_command("/addfeed https://rebind.example/feed"), runtime.build_services())
    assert reply.text == (
        "I could not use that feed: rebind.example resolves to 10.0.0.9, a private or reserved address."
    )
    assert upstream.requests == []
    assert runtime.store.feeds.all() == []


async def test_row_11_addfeed_public_feed_accepted_through_the_guard(
    guarded_runtime: tuple[Runtime, StubResolver, Upstream],
) -> None:
    """Row 11: a public feed passes the guard and is stored."""
    runtime, _, upstream = guarded_runtime
    [reply] = await dispatch(admin_command("/addfeed https://good.example/rss"), runtime.build_services())
    assert reply.text.startswith("Added feed #1")
    assert [r.url.host for r in upstream.requests] == [PUBLIC]


async def test_row_11_chat_added_feed_is_polled_through_the_guard(
    guarded_runtime: tuple[Runtime, StubResolver, Upstream], feed_server: FeedServer
) -> None:
    """Row 11: feeds from chat are re-checked at every poll; feeds from feeds.yaml use the normal client."""
    runtime, _, _ = guarded_runtime
    url = feed_server.add("/rss", body=BODY)
    chat_feed = runtime.store.feeds.add(FeedConfig(url, "Chat", None, 600), NOW, "chat", "telegram:1")
    report = await poll_feed(chat_feed, runtime.deps)
    assert report.error == "127.0.0.1 resolves to 127.0.0.1, a private or reserved address"
    assert feed_server.hits.get("/rss", 0) == 0
    config_feed = runtime.store.feeds.add(FeedConfig(url + "?config", "Config", None, 600), NOW, "config")
    report = await poll_feed(config_feed, runtime.deps)
    assert report.error is None
    assert report.new_items == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "not an http(s) feed URL"),
        ("ftp://files.example/feed.xml", "not an http(s) feed URL"),
        ("javascript:alert(1)", "not an http(s) feed URL"),
        ("https://long.example/" + "a" * 3000, "not an http(s) feed URL"),
        ("http://user:pass@good.example/rss", "user name or password"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254, a private or reserved address"),
        ("http://[::ffff:127.0.0.1]/feed", "a private or reserved address"),
    ],
)
async def test_row_63_bad_urls_refused_before_any_fetch(
    guarded_runtime: tuple[Runtime, StubResolver, Upstream], url: str, reason: str
) -> None:
    """Row 63: other schemes, credentials, absurd lengths and metadata addresses refused, nothing fetched."""
    runtime, _, upstream = guarded_runtime
    [reply] = await dispatch(admin_command(f"/addfeed {url}"), runtime.build_services())
    assert reason in reply.text
    assert upstream.requests == []
    assert runtime.store.feeds.all() == []


async def test_row_64_duplicate_feed_recognised(guarded_runtime: tuple[Runtime, StubResolver, Upstream]) -> None:
    """Row 64: the same feed, written differently (case, fragment, utm), is recognised; no second row."""
    runtime, _, upstream = guarded_runtime
    services = runtime.build_services()
    await dispatch(admin_command("/addfeed https://good.example/rss"), services)
    [reply] = await dispatch(admin_command("/addfeed https://GOOD.example/rss?utm_source=x#top"), services)
    assert "already polled as #1" in reply.text
    assert len(runtime.store.feeds.all()) == 1
    assert len(upstream.requests) == 1


async def test_row_64_redirect_to_a_polled_feed_is_recognised_and_301_stores_the_target(
    guarded_runtime: tuple[Runtime, StubResolver, Upstream],
) -> None:
    """Row 64: a URL that redirects to a feed already polled is "already polled"; a 301 stores its target."""
    runtime, resolver, upstream = guarded_runtime
    resolver.table["old.example"] = [[PUBLIC]]
    resolver.table["alias.example"] = [[PUBLIC]]
    services = runtime.build_services()
    upstream.answers["old.example"] = httpx.Response(301, headers={"Location": "https://good.example/rss"})
    [added] = await dispatch(admin_command("/addfeed https://old.example/feed"), services)
    assert added.text.startswith("Added feed #1")
    assert [feed.url for feed in runtime.store.feeds.all()] == ["https://good.example/rss"]
    upstream.answers["alias.example"] = httpx.Response(302, headers={"Location": "https://GOOD.example/rss#x"})
    [refused] = await dispatch(admin_command("/addfeed https://alias.example/feed"), services)
    assert refused.text == "That feed redirects to one already polled as #1 (Test feed)."
    assert len(runtime.store.feeds.all()) == 1
    [again] = await dispatch(admin_command("/addfeed https://old.example/feed"), services)
    assert "already polled as #1" in again.text


async def test_row_65_failed_validation_names_the_cause_and_stores_nothing(
    guarded_runtime: tuple[Runtime, StubResolver, Upstream],
) -> None:
    """Row 65: a 404 or an HTML page gives a clear reason; nothing is stored."""
    runtime, _, upstream = guarded_runtime
    upstream.answers["good.example"] = httpx.Response(404, content=b"gone")
    [reply] = await dispatch(admin_command("/addfeed https://good.example/rss"), runtime.build_services())
    assert reply.text == "I could not use that feed: HTTP 404."
    upstream.answers["good.example"] = httpx.Response(200, content=b"<!doctype html><html><body>login</body></html>")
    [reply] = await dispatch(admin_command("/addfeed https://good.example/rss"), runtime.build_services())
    assert reply.text == "I could not use that feed: the URL returned an HTML page, not a feed."
    assert runtime.store.feeds.all() == []
