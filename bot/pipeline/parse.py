"""Parse step: feed bytes → ParsedFeed.

Plain RSS 2.0 and Atom 1.0 are read by ``plain_feed``, which gives the same entries much faster; every other feed
goes to feedparser. Runs off the event loop (a worker process or thread): parsing is CPU work.
feedparser always receives bytes wrapped in BytesIO, never a URL or str, so it neither opens
files nor makes requests of its own.
"""

from __future__ import annotations

import calendar
import codecs
import io
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.errors import NotAFeed
from bot.models import Entry, ParsedFeed
from bot.pipeline.plain_feed import read_plain_feed

_MAX_FIELD = 100_000

# The internal DTD subset of a DOCTYPE, and the entity declarations in it.
_INTERNAL_SUBSET = re.compile(r"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.IGNORECASE | re.DOTALL)
_ENTITY_DECL = re.compile(r"""<!ENTITY\s(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
# An entity that is harmless to keep: a character reference or a short literal without references.
_SAFE_ENTITY = re.compile(r"""<!ENTITY\s+\w+\s+(?:"(?:&#\w+;|[^&%"]{0,16})"|'(?:&#\w+;|[^&%']{0,16})')\s*>""")
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}


def _text(value: Any) -> str:
    return value[:_MAX_FIELD] if isinstance(value, str) else ""


def _time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get skips FeedParserDict's key aliasing, which warns when mapping updated → published.
        parsed = dict.get(entry, key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _body(entry: Any) -> str:
    """The entry's fullest text: Atom's ``content`` when it is longer than its ``summary`` (often a lead)."""
    best = _text(entry.get("summary"))
    for content in entry.get("content") or ():
        value = _text(content.get("value"))
        if len(value.strip()) > len(best.strip()):
            best = value
    return best


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]


def _without_entity_declarations(body: bytes) -> bytes:
    """Drop entity declarations from the DOCTYPE (except tiny literal ones) before any XML parser sees them.

    Billion-laughs and quadratic-blowup payloads are stopped by expat's amplification limit, but only
    after it has expanded megabytes of text through feedparser (1.6 s for one billion-laughs feed);
    external entities are never resolved anyway. Without their declarations, references stay literal text.
    """
    encoding = _UTF16_BOMS.get(body[:2])
    if encoding is None:
        head = body[:65536]
        if b"<!ENTITY" not in head.upper():
            return body
        text, encoding = body.decode("latin-1"), "latin-1"
    else:
        text = body[2:].decode(encoding, errors="surrogatepass")
        if "<!ENTITY" not in text[:65536].upper():
            return body
    match = _INTERNAL_SUBSET.search(text, 0, 65536 * 4)
    if match is None:
        return body
    subset = _ENTITY_DECL.sub(lambda m: m.group(0) if _SAFE_ENTITY.fullmatch(m.group(0)) else "", match.group(1))
    cleaned = text[: match.start(1)] + subset + text[match.end(1) :]
    prefix = b"" if encoding == "latin-1" else body[:2]
    return prefix + cleaned.encode(encoding, errors="surrogatepass")


def parse_feed(body: bytes, headers: dict[str, str]) -> ParsedFeed:
    """Parse feed bytes; raise NotAFeed when nothing feed-like can be read from them."""
    result = read_plain_feed(body, headers)
    return _parsed(body, result if result is not None else _feedparser_result(body, headers))


def parse_with_feedparser(body: bytes, headers: dict[str, str]) -> ParsedFeed:
    """Parse feed bytes with feedparser whatever their format (the reference for ``plain_feed``)."""
    return _parsed(body, _feedparser_result(body, headers))


def _feedparser_result(body: bytes, headers: dict[str, str]) -> Any:
    return feedparser.parse(
        io.BytesIO(_without_entity_declarations(body)),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _entry_language(raw: Any, feed_language: str | None) -> str | None:
    """An entry's declared language when it is not the feed's: bilingual feeds mark each entry's
    language with ``dc:language`` (read into the entry) or ``xml:lang`` (read into its title's details)."""
    details = raw.get("title_detail") or {}
    declared = _text(raw.get("language")) or _text(details.get("language"))
    return declared if declared and declared != feed_language else None


def _parsed(body: bytes, result: Any) -> ParsedFeed:
    bozo_reason = None
    if result.get("bozo"):
        exception = result.get("bozo_exception")
        bozo_reason = f"{type(exception).__name__}: {exception}"[:500] if exception else "malformed feed"
    channel = result.get("feed", {})
    language = _text(channel.get("language")) or None
    entries = tuple(
        Entry(
            title=_text(raw.get("title")),
            link=_text(raw.get("link")),
            guid=_text(raw.get("id")) or None,
            published=_time(raw),
            summary_html=_body(raw),
            author=_text(raw.get("author")) or None,
            lang=_entry_language(raw, language),
        )
        for raw in result["entries"]
    )
    if not result.get("version") and not entries:
        if _looks_like_html(body):
            raise NotAFeed("the URL returned an HTML page, not a feed")
        raise NotAFeed(f"not a feed ({bozo_reason or 'unrecognised format'})")
    title = _text(channel.get("title")) or None
    if looks_misdecoded(" ".join([title or "", *(entry.title for entry in entries)])):
        warning = (
            f"text looks mis-decoded: the declared encoding ({result.get('encoding', 'unknown')}) is probably wrong"
        )
        bozo_reason = f"{bozo_reason}; {warning}" if bozo_reason else warning
    return ParsedFeed(title=title, lang=language, entries=entries, bozo_reason=bozo_reason)


# Text decoded with the wrong single-byte table (UTF-8 read as KOI8-R or Latin-1) is full of
# box-drawing signs and accented Latin capitals; real French or Spanish has a few per cent of them.
MISDECODED_SHARE = 0.3


def looks_misdecoded(text: str) -> bool:
    """True when over 30% of the letters are box-drawing or Latin-1 supplement characters."""
    letters = suspicious = 0
    for char in text:
        box_drawing = "\u2500" <= char <= "\u259f"
        if char.isalpha() or box_drawing:
            letters += 1
            suspicious += box_drawing or "\u00c0" <= char <= "\u00ff"
    return letters >= 8 and suspicious > MISDECODED_SHARE * letters
