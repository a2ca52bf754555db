"""The plain feed reader gives exactly feedparser's entries, and leaves everything else to feedparser."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import NotAFeed
from bot.models import ParsedFeed
from bot.pipeline.parse import parse_feed, parse_with_feedparser
from bot.pipeline.plain_feed import read_plain_feed

ROOT = Path(__file__).resolve().parents[2]
RSS = "application/rss+xml"

# Text that exercises feedparser's repairs: entities, markup, CDATA, comments, cp1252 code points,
# UTF-8 read as Latin-1, odd whitespace, scheme slashes and query strings read as references.
TEXT_PIECES = [
    "Выборы в Казахстане",
    "Élections au Bénin",
    "OSCE/ODIHR &amp; PACE",
    "&lt;p&gt;Lead &lt;b&gt;bold&lt;/b&gt;&lt;/p&gt;",
    "<![CDATA[<p>CEC <i>results</i> & turnout</p>]]>",
    "<!-- note -->",
    "&#128;&#150;&#8217;",
    "Ã©lection",
    "  \n\t ",
    "&#160;",
    "x &amp;amp; y",
    "",
]
URL_PIECES = [
    "https://news.example/a?x=1&amp;y=2",
    "http:///news.example//b",
    "https://news.example/c?q=1&amp;utm_source;=rss",
    "/relative/path",
    "  https://news.example/d  ",
    "news.example-17",
    "",
]
DATES = [
    "Mon, 20 Apr 2026 11:47:00 +0000",
    "20 Apr 2026 11:47 GMT",
    "Tue, 21 Apr 2026 09:00:00 EST",
    "2026-04-20T11:47:00Z",
    "Sun, 31 Apr 2026 25:00:00 +0000",
    "yesterday",
    "",
]


# Media RSS elements as news sites attach pictures and video to their items.
MEDIA = [
    '<media:content url="https://i.example/a.jpg" type="image/jpeg" medium="image" width="800" height="600"/>',
    '<media:thumbnail url="https://i.example/a-small.jpg" width="120"/>',
    "<media:thumbnail>https://i.example/b-small.jpg</media:thumbnail>",
]
MEDIA_NAMESPACE = 'xmlns:media="http://search.yahoo.com/mrss/"'


def texts() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TEXT_PIECES), max_size=3).map("".join)


def some(draw: st.DrawFn, *elements: str) -> list[str]:
    """Each element or not, as hypothesis chooses."""
    return [element for element in elements if draw(st.booleans())]


@st.composite
def items(draw: st.DrawFn) -> str:
    permalink = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"', ' ISPERMALINK="True"']))
    elements = some(
        draw,
        f"<title>{draw(texts())}</title>",
        f"<link>{draw(st.sampled_from(URL_PIECES))}</link>",
        f"<guid{permalink}>{draw(st.sampled_from(URL_PIECES))}</guid>",
        f"<description>{draw(texts())}</description>",
        f"<content:encoded>{draw(texts())}</content:encoded>",
        f"<pubDate>{draw(st.sampled_from(DATES))}</pubDate>",
        f"<dc:date>{draw(st.sampled_from(DATES))}</dc:date>",
        draw(st.sampled_from(["<author>jo@news.example (Jo)</author>", "<dc:creator>Л. Петрова</dc:creator>"])),
        '<category domain="x">Elections</category><enclosure url="https://i.example/a.jpg"/>',
        '<source url="https://wire.example/rss">Wire</source>',
        *MEDIA,
    )
    return "<item>" + "".join(draw(st.permutations(elements))) + "</item>"


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    channel = some(
        draw,
        f"<title>{draw(texts())}</title>",
        "<language>ru</language>",
        "<image><title>Logo</title><url>https://news.example/l.png</url></image>",
    )
    channel += draw(st.lists(items(), max_size=4))
    declaration = draw(st.sampled_from(['<?xml version="1.0" encoding="utf-8"?>\n', '<?xml version="1.0"?>', ""]))
    document = (
        f'{declaration}<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" {MEDIA_NAMESPACE} '
        f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>{"".join(draw(st.permutations(channel)))}'
        "</channel></rss>"
    ).encode()
    return (codecs.BOM_UTF8 + document) if draw(st.booleans()) else document


@st.composite
def atom_entries(draw: st.DrawFn) -> str:
    text_type = st.sampled_from(["", ' type="text"', ' type="html"'])
    author = draw(
        st.permutations(["<name> Ж. Ñúñez </name>", "<email>jo@news.example</email>", "<uri>https://jo.example</uri>"])
    )
    elements = some(
        draw,
        f"<title{draw(text_type)}>{draw(texts())}</title>",
        f"<id>{draw(st.sampled_from(URL_PIECES))}</id>",
        f"<summary{draw(text_type)}>{draw(texts())}</summary>",
        f"<content{draw(text_type)}>{draw(texts())}</content>",
        f"<published>{draw(st.sampled_from(DATES))}</published>",
        f"<updated>{draw(st.sampled_from(DATES))}</updated>",
        "<author>" + "".join(author[: draw(st.integers(0, 3))]) + "</author>",
        '<category term="elections" scheme="https://news.example/t"/>',
        *MEDIA,
    )
    for _ in range(draw(st.integers(0, 2))):
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"', ' rel="ALTERNATE"']))
        media_type = draw(st.sampled_from(["", ' type="text/html"', ' type="application/pdf"', ' type="xhtml"']))
        href = draw(st.sampled_from(URL_PIECES)).replace("&amp;", "&#38;")
        elements.append(f'<link{rel}{media_type} href="{href}"/>')
    return "<entry>" + "".join(draw(st.permutations(elements))) + "</entry>"


@st.composite
def atom_feeds(draw: st.DrawFn) -> bytes:
    feed = some(draw, f"<title>{draw(texts())}</title>")
    feed += [
        "<id>urn:feed</id>",
        '<link rel="self" href="https://news.example/atom"/>',
        "<updated>2026-04-20</updated>",
    ]
    feed += draw(st.lists(atom_entries(), max_size=4))
    language = draw(st.sampled_from(["", ' xml:lang="ru"', ' xml:lang="pt_BR"', ' xml:lang=""']))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" {MEDIA_NAMESPACE}{language}>'
        f"{''.join(draw(st.permutations(feed)))}</feed>"
    ).encode()


LEGACY_ENCODINGS = ["windows-1251", "koi8-r", "iso-8859-1", "windows-1252", "cp1250"]


@st.composite
def legacy_feeds(draw: st.DrawFn) -> tuple[bytes, dict[str, str], bool]:
    """A generated RSS feed in a single-byte encoding, the headers it is served with, and whether they
    and its declaration name that encoding (feedparser then decodes it without complaint)."""
    encoding = draw(st.sampled_from(LEGACY_ENCODINGS))
    text = draw(feeds()).removeprefix(codecs.BOM_UTF8).decode()
    text = text[text.index("<rss") :]
    declared = draw(st.booleans())
    if declared:
        text = f'<?xml version="1.0" encoding="{encoding}"?>\n{text}'
    header = draw(
        st.sampled_from(
            ["", RSS, f"{RSS}; charset={encoding.upper()}", f"text/xml; charset={encoding}", f"{RSS}; charset=utf-8"]
        )
    )
    headers = {"content-type": header} if header else {}
    # Characters the encoding lacks become character references, as a publishing system writes them.
    body = text.encode(encoding, errors="xmlcharrefreplace")
    consistent = "charset=utf-8" not in header and (declared or "charset=" in header or body.isascii())
    return body, headers, consistent


def both(body: bytes, headers: dict[str, str]) -> tuple[ParsedFeed | str, ParsedFeed | str]:
    def outcome(parse: object) -> ParsedFeed | str:
        try:
            return parse(body, headers)  # type: ignore[operator, no-any-return]
        except NotAFeed as error:
            return str(error)

    return outcome(parse_feed), outcome(parse_with_feedparser)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(feeds(), atom_feeds()),
    st.sampled_from([{}, {"content-type": RSS}, {"content-type": "text/xml; charset=UTF-8"}]),
)
def test_plain_feed_reads_generated_feeds_exactly_as_feedparser(body: bytes, headers: dict[str, str]) -> None:
    assert read_plain_feed(body, headers) is not None
    fast, reference = both(body, headers)
    assert fast == reference


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(legacy_feeds())
def test_plain_feed_reads_single_byte_encodings_exactly_as_feedparser(feed: tuple[bytes, dict[str, str], bool]) -> None:
    body, headers, consistent = feed
    if consistent:
        assert read_plain_feed(body, headers) is not None
    fast, reference = both(body, headers)
    assert fast == reference


def test_a_windows_1251_feed_takes_the_plain_reader_and_names_its_encoding() -> None:
    read = read_plain_feed(WINDOWS_1251, {"content-type": RSS})
    assert read is not None
    assert read["encoding"] == "windows-1251"
    assert read["entries"][0]["title"] == "Выборы"


def bundled_feeds() -> list[Path]:
    return sorted([*ROOT.glob("tests/**/*.xml"), *ROOT.glob("bot/samples/*.xml")])


@pytest.mark.parametrize("path", bundled_feeds(), ids=lambda path: path.name)
def test_every_bundled_feed_parses_the_same_either_way(path: Path) -> None:
    body = path.read_bytes()
    for headers in ({}, {"content-type": RSS}, {"content-type": "text/xml"}):
        fast, reference = both(body, headers)
        assert fast == reference


ATOM_ENTRY = '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry>{}</entry></feed>'
RSS_ITEM = '<rss version="2.0"><channel><title>T</title><item>{}</item></channel></rss>'


def rss(item: str) -> bytes:
    return RSS_ITEM.format(item).encode()


def atom(entry: str) -> bytes:
    return ATOM_ENTRY.format(entry).encode()


WINDOWS_1251 = b'<?xml version="1.0" encoding="windows-1251"?>' + RSS_ITEM.format(
    "<title>\xc2\xfb\xe1\xee\xf0\xfb</title>"
).encode("latin-1")
RSS_1 = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
    b"<item><title>a</title></item></rdf:RDF>"
)
MEDIA_TITLE = "<media:title xmlns:media='http://search.yahoo.com/mrss/'>a</media:title>"
XHTML_TITLE = '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a</div></title>'
UNUSUAL = {
    "utf-16": (RSS_ITEM.format("<title>a</title>").encode("utf-16"), {}),
    "windows-1251-served-as-utf-8": (WINDOWS_1251, {"content-type": f"{RSS}; charset=utf-8"}),
    "utf-8-bom-before-windows-1251": (codecs.BOM_UTF8 + WINDOWS_1251, {}),
    "windows-1251-undefined-byte": (WINDOWS_1251.replace(b"\xfb", b"\x98"), {}),
    "declaration-feedparser-reads-otherwise": (WINDOWS_1251.replace(b"encoding=", b"encoding = "), {}),
    "multi-byte-encoding": (WINDOWS_1251.replace(b"windows-1251", b"shift_jis"), {}),
    # Bytes that do not spell "<!DOCTYPE" until decoded: the reader's byte-level checks would miss it.
    "utf-7-hidden-doctype": (
        b'<?xml version="1.0" encoding="utf-7"?>+ADw-!DOCTYPE rss +AFsAPA-!ENTITY a +ACI-b+ACIAPgBd-+AD4-'
        + rss("<title>&a;</title>"),
        {},
    ),
    "text/xml-non-ascii": (rss("<title>é</title>"), {"content-type": "text/xml"}),
    "html-media-type": (rss("<title>a</title>"), {"content-type": "text/html"}),
    "no-content-type": (rss("<title>a</title>"), {"server": "x"}),
    "content-location": (rss("<title>a</title>"), {"content-type": RSS, "content-location": "https://x.example/"}),
    "xml-lang-inside": (rss('<title xml:lang="fr">a</title>'), {}),
    "lang": (rss("<title>a</title>").replace(b"<rss ", b'<rss lang="fr" '), {}),
    "doctype": (b'<!DOCTYPE rss [<!ENTITY a "b">]>' + rss("<title>&a;</title>"), {}),
    "late-doctype": (
        b"<!--" + b" " * 70_000 + b'-->\n<!DOCTYPE rss [<!ENTITY a "b">]>' + rss("<title>&a;</title>"),
        {},
    ),
    "two-titles": (rss("<title>a</title><title>b</title>"), {}),
    "markup-in-title": (rss("<title>a<b>c</b></title>"), {}),
    "attribute": (rss('<title type="html">a</title>'), {}),
    "unknown-element": (rss(MEDIA_TITLE), {}),
    "malformed": (rss("<title>a & b</title>"), {}),
    "rss-0.91": (rss("<title>a</title>").replace(b'version="2.0"', b'version="0.91"'), {}),
    "empty": (b"", {}),
    "atom-xhtml": (atom(XHTML_TITLE), {}),
    "atom-content-src": (atom('<content src="https://x.example/a"/>'), {}),
    "atom-two-names": (atom("<author><name>a</name><name>b</name></author>"), {}),
    "atom-contributor": (atom("<contributor><name>a</name></contributor>"), {}),
    "atom-xml-base": (atom('<link href="a" xml:base="https://x.example/"/>'), {}),
    "atom-0.3": (b'<feed xmlns="http://purl.org/atom/ns#" version="0.3"><entry><title>a</title></entry></feed>', {}),
    "rss-1.0": (RSS_1, {}),
}


@pytest.mark.parametrize("case", UNUSUAL)
def test_anything_unusual_is_left_to_feedparser(case: str) -> None:
    body, headers = UNUSUAL[case]
    assert read_plain_feed(body, headers) is None
    fast, reference = both(body, headers)
    assert fast == reference


def test_comments_and_cdata_inside_text_are_read_as_feedparser_reads_them() -> None:
    body = RSS_ITEM.format(
        "<title> A<!-- x -->B <![CDATA[<C>]]> </title><link>http:///x.example/?a=1&amp;amp;b=2</link>"
    )
    fast = parse_feed(body.encode(), {"content-type": RSS})
    assert fast == parse_with_feedparser(body.encode(), {"content-type": RSS})
    assert fast.entries[0].title == "AB <C>"
    assert fast.entries[0].link == "http://x.example/?a=1&b=2"
