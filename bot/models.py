"""Frozen value types that cross module boundaries.

No third-party type (feedparser dicts, telegram.Update, Slack payloads) travels past the module
that received it: each boundary translates into one of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FeedConfig:
    """A feed as configured in feeds.yaml or added from chat."""

    url: str
    name: str | None = None
    lang: str | None = None
    interval_seconds: int | None = None
    enabled: bool = True

    @property
    def label(self) -> str:
        """A human name for the feed: its configured name or its URL."""
        return self.name or self.url


@dataclass(frozen=True)
class Evidence:
    """Why one tag was given: the tag, the text span that triggered it and the rule name."""

    tag: str
    span: str
    rule: str


@dataclass(frozen=True)
class Tags:
    """The tagging result of one item."""

    relevant: bool = False
    countries: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


NO_TAGS = Tags()


@dataclass(frozen=True)
class Entry:
    """One feed entry as the parser read it, before normalisation (strings may hold HTML)."""

    title: str
    link: str
    guid: str | None
    published: datetime | None
    summary_html: str
    author: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """The parser's output: the entries, the feed's declared language and any survivable problem."""

    title: str | None
    lang: str | None
    entries: tuple[Entry, ...]
    bozo_reason: str | None = None


@dataclass(frozen=True)
class Item:
    """A normalised entry: plain text, canonical link, UTC time, language and content hash."""

    feed_url: str
    title: str
    link: str
    canonical_link: str
    guid: str | None
    published: datetime
    published_is_fallback: bool
    summary: str
    lang: str
    content_hash: str
    tags: Tags = field(default=NO_TAGS)
