from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import NotAFeed
from bot.pipeline.parse import parse_feed

FEEDS = Path(__file__).parent.parent / "data" / "feeds"


def parse(name: str) -> object:
    return parse_feed((FEEDS / name).read_bytes(), {})


def test_rss20() -> None:
    feed = parse_feed((FEEDS / "rss20.xml").read_bytes(), {"content-type": "application/rss+xml"})
    assert feed.lang == "en-us"
    assert feed.bozo_reason is None
    first = feed.entries[0]
    assert first.title == "Observers arrive in Kazakhstan ahead of the election"
    assert first.guid == "sc-1001"
    assert first.published == datetime(2026, 4, 20, 4, 30, tzinfo=UTC)
    assert "&ndash;" in first.summary_html


def test_rss10_rdf_with_dc_date() -> None:
    feed = parse_feed((FEEDS / "rss10.xml").read_bytes(), {})
    assert len(feed.entries) == 1
    assert feed.entries[0].published == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert feed.entries[0].link == "https://forum.example/posts/observer-access"


def test_rss091_without_guid_or_dates() -> None:
    feed = parse_feed((FEEDS / "rss091.xml").read_bytes(), {})
    entry = feed.entries[0]
    assert entry.guid is None
    assert entry.published is None
    assert entry.title == "Election commission publishes the voter list"


def test_atom_prefers_the_fuller_content_and_reads_language() -> None:
    feed = parse_feed((FEEDS / "atom.xml").read_bytes(), {})
    assert feed.lang == "fr"
    entry = feed.entries[0]
    assert entry.link == "https://observatoire.example/rapport-interimaire"
    assert entry.published == datetime(2026, 4, 21, 7, 0, tzinfo=UTC)
    assert "campagne calme &laquo;mais peu compétitive&raquo;" in entry.summary_html


def test_windows_1251_is_decoded() -> None:
    feed = parse_feed((FEEDS / "cp1251.xml").read_bytes(), {})
    assert feed.entries[0].title == "ЦИК Казахстана аккредитовал наблюдателей"
    assert "«наблюдателей»" in feed.entries[0].summary_html or "&laquo;" in feed.entries[0].summary_html


def test_bozo_feed_still_parses_and_records_the_reason() -> None:
    feed = parse_feed((FEEDS / "bozo.xml").read_bytes(), {})
    assert [e.guid for e in feed.entries] == ["sav-1", "sav-2"]
    assert feed.bozo_reason is not None
    assert "Peace & Security" in feed.entries[0].summary_html


def test_relative_date_is_not_invented() -> None:
    feed = parse_feed((FEEDS / "no_guid_no_dates.xml").read_bytes(), {})
    assert [e.published for e in feed.entries] == [None, None]
    assert [e.guid for e in feed.entries] == [None, None]


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(NotAFeed, match="HTML page"):
        parse_feed((FEEDS / "page.html").read_bytes(), {"content-type": "text/html"})


def test_garbage_is_not_a_feed() -> None:
    with pytest.raises(NotAFeed):
        parse_feed(b"\x00\x01\x02 definitely not xml", {})


def test_an_entry_declaring_another_language_than_its_feed_keeps_it() -> None:
    # A bilingual service: the channel says French, two entries say otherwise (dc:language, xml:lang).
    rss10 = (
        b'<?xml version="1.0" encoding="utf-8"?>'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<channel rdf:about="https://h.example/"><title>H</title><link>https://h.example/</link>'
        b"<dc:language>fr</dc:language></channel>"
        b'<item rdf:about="https://h.example/1"><title>Timor Oriental presenta su plan</title>'
        b"<link>https://h.example/1</link><dc:language>es</dc:language></item>"
        b'<item rdf:about="https://h.example/2"><title>Le plan du Timor oriental</title>'
        b"<link>https://h.example/2</link><dc:language>fr</dc:language></item>"
        b"</rdf:RDF>"
    )
    assert [entry.lang for entry in parse_feed(rss10, {}).entries] == ["es", None]
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>O</title><id>o</id>'
        b'<entry xml:lang="fr"><title>Roumanie : le scrutin</title><id>1</id>'
        b'<link href="https://o.example/1"/></entry>'
        b'<entry><title>Romania: the vote</title><id>2</id><link href="https://o.example/2"/></entry></feed>'
    )
    assert [entry.lang for entry in parse_feed(atom, {}).entries] == ["fr", None]
