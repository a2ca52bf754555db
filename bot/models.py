"""Frozen value types that cross module boundaries.

No third-party type (feedparser dicts, telegram.Update, Slack payloads) travels past the module
that received it: each boundary translates into one of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CheckedFeed:
    """A feed URL an admin offered, fetched and parsed: its title and where the feed really lives."""

    title: str | None
    # The URL a 301/308 chain ended at (else the URL given); temporary redirects are not followed here.
    url: str
    # The last URL fetched, whatever the redirects: a feed already polled there is the same feed.
    final_url: str


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
    # The entry's own declared language where it differs from the feed's (dc:language, xml:lang).
    lang: str | None = None


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
    # The entry's own date when it lies too far ahead to be shown (``published`` is then the first
    # sighting): dedupe still reads it, since the items of one source keep one clock.
    claimed_published: datetime | None = None


@dataclass(frozen=True)
class FeedRecord:
    """A feed as stored, with its poll state and health."""

    id: int
    url: str
    name: str | None
    lang: str | None
    interval_seconds: int
    enabled: bool
    source: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    last_status: int | None
    last_error: str | None
    bozo_reason: str | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    next_poll_at: datetime | None
    disabled_reason: str | None
    items_total: int
    moved_from: str | None = None

    @property
    def label(self) -> str:
        """A human name for the feed: its configured name or its URL."""
        return self.name or self.url

    @property
    def config(self) -> FeedConfig:
        """The configuration part of the record."""
        return FeedConfig(self.url, self.name, self.lang, self.interval_seconds, self.enabled)


@dataclass(frozen=True)
class PollReport:
    """What one poll of one feed did, for the CLI line and logs."""

    feed_id: int
    feed: str
    new_items: int = 0
    duplicates: int = 0
    error: str | None = None
    not_modified: bool = False
    disabled: bool = False
    new_story_ids: tuple[int, ...] = ()
    updated_story_ids: tuple[int, ...] = ()
    warning: str | None = None


@dataclass(frozen=True)
class StoredItem:
    """An item as stored, with its tags and story."""

    id: int
    feed_id: int
    title: str
    link: str
    summary: str
    published: datetime
    lang: str
    tags: Tags
    story_id: int | None


@dataclass(frozen=True)
class Summary:
    """A story ready to show: platform-neutral; each platform renders it its own way."""

    story_id: int
    title: str
    link: str
    lead: str
    countries: tuple[str, ...]
    bodies: tuple[str, ...]
    source: str
    published: datetime
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChatRef:
    """Where a subscription lives and stories go: a platform's chat, and a forum topic when there is one."""

    platform: str
    chat_id: str
    thread_id: str | None = None

    @property
    def key(self) -> str:
        """One string naming the destination, e.g. ``telegram:-100123/7``."""
        return f"{self.platform}:{self.chat_id}" + (f"/{self.thread_id}" if self.thread_id else "")


TERM_KINDS = ("country", "body", "keyword", "all")


@dataclass(frozen=True)
class Term:
    """One term of a subscription filter: a country code, a body id, a keyword phrase or ``all``."""

    kind: str
    value: str
    negated: bool = False

    def describe(self) -> str:
        """The term as a user would type it back."""
        text = f'"{self.value}"' if self.kind == "keyword" else self.value
        return f"-{text}" if self.negated else text


@dataclass(frozen=True)
class Filter:
    """Terms ANDed together; negated terms exclude."""

    terms: tuple[Term, ...]

    @property
    def canonical(self) -> str:
        """A stable text form, used to recognise the same filter typed twice."""
        return " ".join(term.describe() for term in sorted(self.terms, key=lambda t: (t.negated, t.kind, t.value)))


@dataclass(frozen=True)
class Subscription:
    """A chat's filter; ``chat_row`` is the chat's database id, which outbox rows point to."""

    id: int
    chat_row: int
    chat: ChatRef
    filter: Filter
