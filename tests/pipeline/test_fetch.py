import asyncio
import gzip
from datetime import UTC, datetime

import httpx
import pytest

from bot.errors import BodyTooLarge, EmptyBody, FetchTimeout, HTTPStatusError, NetworkError, TooManyRedirects
from bot.pipeline.fetch import (
    IDLE_CONNECTIONS_KEPT,
    FetchLimits,
    Validators,
    build_http_client,
    fetch,
    parse_retry_after,
)
from tests.fakes.feed_server import FeedServer, rss

NOW = datetime(2026, 4, 27, 12, 0, tzinfo=UTC)
BODY = rss([{"title": "One", "link": "https://n.example/1"}])


@pytest.fixture
async def client() -> httpx.AsyncClient:
    async with build_http_client("ElectionWatch-test/1", read_timeout=0.5) as http:
        yield http


async def test_etag_round_trip_gives_304(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/feed", body=BODY, etag=True)
    first = await fetch(client, url, Validators(), FetchLimits(), NOW)
    assert first.status == 200
    assert first.body == BODY
    assert first.validators.etag
    second = await fetch(client, url, first.validators, FetchLimits(), NOW)
    assert second.not_modified
    assert feed_server.request_headers["/feed"]["if-none-match"] == first.validators.etag
    assert feed_server.request_headers["/feed"]["user-agent"] == "ElectionWatch-test/1"


async def test_last_modified_round_trip(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/feed", body=BODY, last_modified="Mon, 27 Apr 2026 10:00:00 GMT")
    first = await fetch(client, url, Validators(), FetchLimits(), NOW)
    second = await fetch(client, url, first.validators, FetchLimits(), NOW)
    assert second.not_modified


async def test_server_error(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/broken", status=500, body=b"oops")
    with pytest.raises(HTTPStatusError, match="HTTP 500") as error:
        await fetch(client, url, Validators(), FetchLimits(), NOW)
    assert error.value.status == 500


async def test_rate_limited_with_retry_after(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/busy", status=429, headers={"Retry-After": "120"})
    with pytest.raises(HTTPStatusError) as error:
        await fetch(client, url, Validators(), FetchLimits(), NOW)
    assert error.value.retry_after == 120


def test_retry_after_as_http_date() -> None:
    assert parse_retry_after("Mon, 27 Apr 2026 12:05:00 GMT", NOW) == 300
    assert parse_retry_after("garbage", NOW) is None


async def test_cloudflare_challenge_is_named(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/cf", status=403, headers={"cf-mitigated": "challenge"}, body=b"<html>")
    with pytest.raises(HTTPStatusError, match="Cloudflare"):
        await fetch(client, url, Validators(), FetchLimits(), NOW)


async def test_slow_server_times_out(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/slow", body=BODY, delay=2.0)
    with pytest.raises(FetchTimeout):
        await fetch(client, url, Validators(), FetchLimits(total_timeout=5), NOW)


async def test_slow_drip_hits_the_overall_deadline(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/drip", body=BODY * 10, drip=0.05)
    with pytest.raises(FetchTimeout, match=r"within 0\.3 s"):
        await fetch(client, url, Validators(), FetchLimits(total_timeout=0.3), NOW)


async def test_oversized_body_stops_at_cap(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/big", body=b"<rss>" + b"x" * 200_000 + b"</rss>")
    with pytest.raises(BodyTooLarge):
        await fetch(client, url, Validators(), FetchLimits(max_body_bytes=100_000), NOW)


async def test_gzip_bomb_is_capped_after_decompression(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/bomb", body=b"<rss>" + b" " * 5_000_000 + b"</rss>", gzip=True)
    with pytest.raises(BodyTooLarge):
        await fetch(client, url, Validators(), FetchLimits(max_body_bytes=1_000_000), NOW)


async def test_gzip_body_is_decoded(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/gz", body=BODY, gzip=True)
    result = await fetch(client, url, Validators(), FetchLimits(), NOW)
    assert result.body == BODY
    assert gzip.compress(BODY) != result.body


async def test_redirect_is_followed(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    target = feed_server.add("/new", body=BODY)
    url = feed_server.add("/old", status=301, redirect_to=target)
    result = await fetch(client, url, Validators(), FetchLimits(), NOW)
    assert result.final_url == target
    assert result.body == BODY


async def test_redirect_loop(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    feed_server.add("/a", redirect_to=feed_server.url("/b"))
    url = feed_server.add("/b", redirect_to=feed_server.url("/a"))
    with pytest.raises(TooManyRedirects):
        await fetch(client, url, Validators(), FetchLimits(), NOW)


async def test_empty_200_is_an_error(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    url = feed_server.add("/empty", body=b"  \n")
    with pytest.raises(EmptyBody, match="empty body"):
        await fetch(client, url, Validators(), FetchLimits(), NOW)


async def test_connection_refused(client: httpx.AsyncClient, feed_server: FeedServer) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError):
        await fetch(client, f"http://127.0.0.1:{port}/feed", Validators(), FetchLimits(), NOW)


async def test_only_a_few_idle_connections_stay_open_after_a_burst(feed_server: FeedServer) -> None:
    urls = [feed_server.add(f"/feed{number}", body=BODY, delay=0.2) for number in range(12)]
    async with build_http_client("ElectionWatch-test/1", max_connections=32) as http:
        results = await asyncio.gather(*(fetch(http, url, Validators(), FetchLimits(), NOW) for url in urls))
        assert [result.status for result in results] == [200] * 12
        for _ in range(100):
            if feed_server.open_connections <= IDLE_CONNECTIONS_KEPT:
                break
            await asyncio.sleep(0.02)
        assert 0 < feed_server.open_connections <= IDLE_CONNECTIONS_KEPT
