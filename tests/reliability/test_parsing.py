"""Hostile and broken feed bodies: checklist rows 16–25, 28, 35, 36 and 46 (docs/RELIABILITY.md).

The XML attack payloads are regression tests: with today's parser versions none of them expands,
reads a file or makes a request, and they keep it that way if a dependency changes.
"""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime

import pytest

from bot.errors import NotAFeed
from bot.models import FeedConfig, Item, Summary
from bot.pipeline.normalise import MAX_TITLE, normalise
from bot.pipeline.parse import parse_feed
from bot.platforms.slack.render import SECTION_LIMIT, story_blocks
from bot.platforms.telegram import MAX_TEXT, render_reply_html, render_summary_html
from handlers.types import Reply
from tests.fakes.feed_server import FeedServer

NOW = datetime(2026, 4, 27, 12, 0, tzinfo=UTC)
FEED = FeedConfig("https://n.example/rss", "Feed", None, 600)


def rss(items: str, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>', doctype: str = "") -> str:
    return (
        f'{declaration}{doctype}<rss version="2.0"><channel><title>T</title><link>https://n.example/</link>'
        f"{items}</channel></rss>"
    )


def item(title: str, link: str = "https://n.example/1", extra: str = "") -> str:
    return f"<item><title>{title}</title><link>{link}</link>{extra}</item>"


def items_of(body: bytes) -> list[Item]:
    parsed = parse_feed(body, {})
    return [normalise(entry, FEED, parsed.lang, NOW, lambda text: "en") for entry in parsed.entries]


def timed_parse(body: bytes) -> tuple[list[Item], float, int]:
    """Items, seconds spent parsing, and how much the process's peak memory grew (bytes)."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    parsed = parse_feed(body, {})
    elapsed = time.perf_counter() - started
    result = [normalise(entry, FEED, parsed.lang, NOW, lambda text: "en") for entry in parsed.entries]
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) * 1024
    return result, elapsed, growth


LOL = (
    '<!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "' + (f"&lol{i - 1};" if i > 1 else "&lol;") * 10 + '">' for i in range(1, 10))
    + "]>"
)


def test_row_35_billion_laughs_is_not_expanded() -> None:
    """Row 35: billion laughs → no expansion, < 1 s, bounded memory."""
    [parsed], elapsed, peak = timed_parse(rss(item("&lol9;"), doctype=LOL).encode())
    assert "lollol" not in parsed.title
    assert elapsed < 1.0
    assert peak < 100 * 1024 * 1024


def test_row_35_billion_laughs_in_utf16_is_not_expanded() -> None:
    """Row 35: the same payload in UTF-16 with a BOM."""
    body = rss(item("&lol9;"), declaration='<?xml version="1.0" encoding="utf-16"?>', doctype=LOL).encode("utf-16")
    [parsed], elapsed, _ = timed_parse(body)
    assert "lollol" not in parsed.title
    assert elapsed < 1.0


def test_row_35_quadratic_blowup_is_not_expanded_and_the_title_is_capped() -> None:
    """Rows 35 and 28: 60,000 references to a 50 kB entity → literal text, capped, < 1 s."""
    doctype = '<!DOCTYPE rss [<!ENTITY a "' + "x" * 50_000 + '">]>'
    [parsed], elapsed, peak = timed_parse(rss(item("&a;" * 60_000), doctype=doctype).encode())
    assert "xxxxxxxxxx" not in parsed.title
    assert len(parsed.title) <= MAX_TITLE + 1  # cut with an ellipsis
    assert elapsed < 1.0
    assert peak < 100 * 1024 * 1024


def test_row_35_external_entity_reads_no_file() -> None:
    """Row 35: XXE with a file:// system entity → no file content anywhere."""
    doctype = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    [parsed] = items_of(rss(item("Title &xxe;", extra="<description>&xxe;</description>"), doctype=doctype).encode())
    assert "root:" not in parsed.title + parsed.summary


@pytest.mark.parametrize("kind", ["file", "http"])
def test_row_35_external_dtd_and_parameter_entity_are_not_loaded(kind: str, feed_server: FeedServer) -> None:
    """Row 35: an external DTD (file and loopback http) and a parameter entity: nothing read, no request."""
    dtd = feed_server.add("/evil.dtd", body=b'<!ENTITY leak "LEAKED">')
    system = "file:///etc/passwd" if kind == "file" else dtd
    for doctype in (
        f'<!DOCTYPE rss SYSTEM "{system}">',
        f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{system}"> %p;]>',
        f'<!DOCTYPE rss [<!ENTITY ext SYSTEM "{system}">]>',
    ):
        [parsed] = items_of(rss(item("Safe &leak; &ext;"), doctype=doctype).encode())
        assert "LEAKED" not in parsed.title
        assert "root:" not in parsed.title
    assert feed_server.hits.get("/evil.dtd", 0) == 0


def test_row_35_small_literal_entities_still_work() -> None:
    """Row 35: defusing keeps harmless declarations (a character reference, a short literal)."""
    doctype = '<!DOCTYPE rss [<!ENTITY copy "&#169;"><!ENTITY org "OSCE">]>'
    [parsed] = items_of(rss(item("&org; report &copy; 2026"), doctype=doctype).encode())
    assert parsed.title == "OSCE report © 2026"


def test_row_16_truncated_xml_keeps_the_entries_before_the_cut() -> None:
    """Row 16: cut mid-item → the complete entries are read and the problem recorded."""
    body = rss(item("One", "https://n.example/1") + item("Two", "https://n.example/2")).encode()
    cut = body[: body.index(b"https://n.example/2") + 5]
    parsed = parse_feed(cut, {})
    assert parsed.entries[0].title == "One"
    assert parsed.entries[0].link == "https://n.example/1"
    assert parsed.bozo_reason


def test_row_17_html_login_page_is_not_a_feed() -> None:
    """Row 17: an HTML page → "not a feed", no items."""
    with pytest.raises(NotAFeed, match="HTML page"):
        parse_feed(b"<!DOCTYPE html><html><head><title>Log in</title></head><body><form></form></body></html>", {})


def test_row_18_undefined_html_entities_keep_the_title() -> None:
    """Row 18: &nbsp; and &rsquo; (undefined in XML) do not truncate the title."""
    [parsed] = items_of(rss(item("A&nbsp;B &rsquo;C")).encode())
    assert parsed.title == "A B ’C"


def test_row_19_unescaped_ampersand_in_link_is_kept() -> None:
    """Row 19: ?a=1&b=2 stays intact (link and dedupe key)."""
    [parsed] = items_of(rss(item("x", "https://n.example/?a=1&b=2")).encode())
    assert parsed.link == "https://n.example/?a=1&b=2"
    assert "b=2" in parsed.canonical_link


def test_row_20_latin1_bytes_declared_utf8_are_readable() -> None:
    """Row 20: latin-1 bytes with a UTF-8 declaration → readable text, reason recorded."""
    body = rss(item("España elige")).encode("latin-1")
    assert parse_feed(body, {}).bozo_reason
    [parsed] = items_of(body)
    assert parsed.title == "España elige"


@pytest.mark.parametrize(
    ("declaration", "encode"),
    [
        ('<?xml version="1.0" encoding="windows-1251"?>', lambda text: text.encode("cp1251")),
        ('<?xml version="1.0" encoding="utf-16"?>', lambda text: text.encode("utf-16")),
        ('<?xml version="1.0" encoding="utf-8"?>', lambda text: b"\xef\xbb\xbf" + text.encode("utf-8")),
    ],
    ids=["windows-1251", "utf-16-bom", "utf-8-bom"],
)
def test_row_21_declared_encodings_and_boms(declaration: str, encode: object) -> None:
    """Row 21: windows-1251, UTF-16 with BOM, UTF-8 with BOM → parsed correctly."""
    body = encode(rss(item("Выборы в Казахстане"), declaration=declaration))  # type: ignore[operator]
    [parsed] = items_of(body)
    assert parsed.title == "Выборы в Казахстане"


def test_row_22_utf8_declared_koi8r_does_not_crash_and_is_flagged() -> None:
    """Row 22: wrong declared encoding → mojibake, but no crash, an item, and a warning on the feed."""
    body = rss(item("Выборы в Казахстане"), declaration='<?xml version="1.0" encoding="koi8-r"?>').encode("utf-8")
    [parsed] = items_of(body)
    assert parsed.title
    reason = parse_feed(body, {}).bozo_reason
    assert reason is not None
    assert "mis-decoded" in reason
    assert "koi8-r" in reason


@pytest.mark.parametrize(
    "title",
    ["Élections présidentielles : l’ODIHR déploie une mission à Abidjan", "Elecciones en España: señalan demoras"],
)
def test_row_22_accented_languages_are_not_flagged(title: str) -> None:
    """Row 22: real French or Spanish text is not taken for mojibake."""
    assert parse_feed(rss(item(title)).encode("utf-8"), {}).bozo_reason is None


def test_row_23_control_characters_are_stripped() -> None:
    """Row 23: NUL and vertical tab never reach the database or a chat."""
    [parsed] = items_of(rss(item("A\x00B\x0bC", extra="<description>x\x00y\x0bz\x1f</description>")).encode())
    assert parsed.title == "ABC"
    assert not any(ch in parsed.title + parsed.summary for ch in "\x00\x0b\x1f")


def test_row_24_active_content_never_reaches_output() -> None:
    """Row 24: <script>, onerror= and javascript: links → plain text, no link."""
    description = (
        "<description>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;Text</description>"
    )
    [parsed] = items_of(rss(item("x", "javascript:alert(1)", extra=description)).encode())
    assert parsed.link == ""
    assert "alert" not in parsed.summary
    assert "onerror" not in parsed.summary
    assert parsed.summary == "Text"


def test_row_25_text_content_with_markup_is_text() -> None:
    """Row 25: Atom content type="text" holding <b> is shown as text, escaped for the platform."""
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b'<entry><title type="text">5 &lt; 6 &amp; &lt;b&gt;bold&lt;/b&gt;</title>'
        b'<link href="https://n.example/1"/><id>1</id><updated>2026-04-27T10:00:00Z</updated></entry></feed>'
    )
    [parsed] = items_of(body)
    assert "5 < 6 &" in parsed.title
    html = render_summary_html(summary(parsed.title))
    assert "<b>bold" not in html
    assert "5 &lt; 6 &amp;" in html


def summary(title: str, lead: str = "Lead") -> Summary:
    return Summary(1, title, "https://n.example/1", lead, (), (), "Feed", NOW)


def test_row_28_one_megabyte_title_is_capped_everywhere() -> None:
    """Row 28: a 1 MB title → capped in the item and within every platform limit."""
    [parsed] = items_of(rss(item("Élection 🗳 " * 100_000)).encode())
    assert len(parsed.title) <= MAX_TITLE + 1  # cut with an ellipsis
    huge = summary("<b>&amp;🗳" * 100_000, lead="🗳&<" * 100_000)
    assert len(render_summary_html(huge)) <= MAX_TEXT
    for block in story_blocks(huge):
        text = block.get("text", {})
        if isinstance(text, dict):
            assert len(text.get("text", "")) <= SECTION_LIMIT


def test_row_36_json_feed_is_a_clean_error() -> None:
    """Row 36: a JSON Feed at a feed URL → a clear "not a feed" error, no crash."""
    body = b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1"}]}'
    with pytest.raises(NotAFeed, match="not a feed"):
        parse_feed(body, {"content-type": "application/feed+json"})


@pytest.mark.parametrize("text", ["x" * 4096, "🗳" * 4096, "é" * 4095 + "&"])
def test_row_46_text_of_4096_characters_is_one_message(text: str) -> None:
    """Row 46: exactly 4096 characters (emoji and astral included) → one message."""
    parts = render_reply_html(Reply(text.replace("&", "a")))
    assert len(parts) == 1
    assert len(parts[0]) == 4096


@pytest.mark.parametrize("text", ["x" * 4097, "🗳" * 4097, "a & b " * 1000])
def test_row_46_longer_text_is_split_before_sending(text: str) -> None:
    """Row 46: 4097+ characters → split before sending, never inside an entity, nothing lost."""
    parts = render_reply_html(Reply(text))
    assert len(parts) >= 2
    assert all(len(part) <= MAX_TEXT for part in parts)
    assert all(not part.endswith("&") and not part.endswith("&amp") for part in parts)
    assert "".join(parts).replace("&amp;", "&").replace("\n", "") == text.replace("\n", "")
