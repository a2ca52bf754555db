"""``electionwatch demo``: the whole pipeline on the bundled sample feeds, offline and without tokens."""

from __future__ import annotations

from importlib import resources

import httpx

from bot.models import FeedConfig

SAMPLES_HOST = "samples.electionwatch.invalid"


def sample_feeds() -> list[FeedConfig]:
    """The bundled sample feeds, addressed on a host that only the demo transport answers."""
    folder = resources.files("bot") / "samples"
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".xml"))
    return [
        FeedConfig(url=f"https://{SAMPLES_HOST}/{name}", name=name.removesuffix(".xml"), interval_seconds=600)
        for name in names
    ]


class BundledFeedsTransport(httpx.AsyncBaseTransport):
    """Answers requests for the sample host from the package's files; nothing leaves the machine."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Serve a bundled feed, or 404."""
        if request.url.host != SAMPLES_HOST:
            return httpx.Response(403, text="the demo only reads bundled feeds")
        name = request.url.path.lstrip("/")
        resource = resources.files("bot") / "samples" / name
        if "/" in name or not resource.is_file():
            return httpx.Response(404)
        return httpx.Response(200, content=resource.read_bytes(), headers={"Content-Type": "application/rss+xml"})
