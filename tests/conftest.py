"""Shared fixtures: a frozen clock, a real feed server, a store, a wired runtime, no stray network."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import Runtime, build_runtime
from bot.clock import FrozenClock
from bot.models import Evidence, Tags
from bot.settings import Settings
from storage import Store, open_store
from tests.fakes.feed_server import FeedServer

os.environ.setdefault("PTB_TIMEDELTA", "true")  # as bot.cli.main does for the real process

START = datetime(2026, 4, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly on any connection that leaves the machine."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        if isinstance(address, tuple):
            host = address[0]
            try:
                if not ipaddress.ip_address(host).is_loopback:
                    pytest.fail(f"network access to {address} is not allowed in tests")
            except ValueError:
                if host != "localhost":
                    pytest.fail(f"network access to {address} is not allowed in tests")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


class KeywordTagger:
    """A tiny stand-in tagger for pipeline tests: 'election' makes an item relevant, 'Kazakhstan' → KZ."""

    class _Knowledge:
        countries = {"kazakhstan": "KZ", "казахстан": "KZ", "kz": "KZ", "kyrgyzstan": "KG", "kg": "KG"}
        bodies = {"odihr": "osce-odihr", "osce/odihr": "osce-odihr", "osce": "osce", "cec": "election-commission"}
        body_parents = {"osce-odihr": "osce"}

        def resolve_country(self, term: str) -> str | None:
            return self.countries.get(term.casefold())

        def resolve_body(self, term: str) -> str | None:
            return self.bodies.get(term.casefold())

        def country_label(self, code: str) -> str:
            return {"KZ": "🇰🇿 Kazakhstan", "KG": "🇰🇬 Kyrgyzstan"}.get(code, code)

        def body_label(self, body_id: str) -> str:
            return {"osce-odihr": "OSCE/ODIHR", "osce": "OSCE", "election-commission": "CEC"}.get(body_id, body_id)

        def vocabulary(self) -> list[str]:
            return ["Kazakhstan", "Kyrgyzstan", "ODIHR", "OSCE", "CEC"]

    knowledge = _Knowledge()

    def tag(self, title: str, text: str, lang: str | None) -> Tags:
        blob = f"{title} {text}"
        relevant = "election" in blob.lower()
        countries = tuple(code for name, code in (("Kazakhstan", "KZ"), ("Kyrgyzstan", "KG")) if name in blob)
        bodies = ("osce-odihr",) if "ODIHR" in blob else ()
        evidence = (Evidence("relevant", "election", "keyword"),) if relevant else ()
        return Tags(relevant, countries, bodies, evidence)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def store() -> Iterator[Store]:
    opened = open_store(":memory:")
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=tmp_path / "test.db", fetch_timeout=5.0)


@pytest.fixture
async def runtime(settings: Settings, clock: FrozenClock) -> AsyncIterator[Runtime]:
    built = build_runtime(settings, clock=clock, tagger=KeywordTagger())
    yield built
    await built.aclose()
