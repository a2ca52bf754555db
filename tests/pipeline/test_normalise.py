import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Entry, FeedConfig
from bot.pipeline.normalise import (
    _parsed_text,
    _plain_markup_text,
    canonical_link,
    choose_language,
    content_hash,
    normalise,
    plain_text,
)

NOW = datetime(2026, 4, 27, 12, 0, tzinfo=UTC)
FEED = FeedConfig("https://feed.example/rss", "Feed", None, 600)


def never_called(text: str) -> str:
    raise AssertionError("the detector should not be needed")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/a/b/?utm_source=rss&id=3#frag", "https://news.example.com/a/b?id=3"),
        ("http://news.example:80/x?fbclid=1", "http://news.example/x"),
        ("https://news.example:8443/x/", "https://news.example:8443/x"),
        ("https://news.example", "https://news.example/"),
        ("javascript:alert(1)", None),
        ("ftp://files.example/feed", None),
        ("", None),
        ("https://" + "a" * 3000, None),
    ],
)
def test_canonical_link(url: str, expected: str | None) -> None:
    assert canonical_link(url) == expected


def test_plain_text_strips_tags_decodes_entities_and_folds_space() -> None:
    html = (
        "<p>ASTANA &ndash; The&nbsp;mission&#8217;s head</p>\n\n"
        "<p>said &laquo;yes&raquo; &amp; left.</p><script>x()</script>"
    )
    assert plain_text(html) == "ASTANA – The mission’s head\nsaid «yes» & left."


def _plain_text_by_regex(text: str) -> str:
    """The white-space folding of plain_text written the direct way: runs to one space, line breaks kept."""
    text = re.sub(r"[ \t\r\f\v\u00a0\u2007\u202f]+", " ", text)
    return re.sub(r"\s*\n\s*", "\n", text).strip()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\r\u00a0\u2007\u202f\u2028\u3000ab", max_size=40))
def test_plain_text_folds_white_space_like_the_direct_regexes(text: str) -> None:
    assert plain_text(text) == _plain_text_by_regex(text)


def test_plain_text_drops_control_characters_and_caps_length() -> None:
    assert plain_text("a\x00b\x1bc\u200bd") == "abcd"
    capped = plain_text("word " * 100, limit=50)
    assert len(capped) <= 51
    assert capped.endswith("…")


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("Title", "Some  text") == content_hash("title", "some text")
    assert content_hash("Title", "Some text") != content_hash("Title", "Other text")


def test_language_hint_used_when_script_agrees() -> None:
    assert choose_language("ru-RU", "Выборы в Казахстане", never_called) == "ru"
    assert choose_language("ru", "Elections in Kazakhstan", lambda text: "en") == "en"
    assert choose_language(None, "Les observateurs", lambda text: "fr") == "fr"


def test_latin_script_hint_yields_to_the_detector_when_another_language_s_words_dominate() -> None:
    spanish = "Timor Oriental presenta su plan para las presidenciales. La comisión y el STAE presentaron las fechas."
    assert choose_language("fr", spanish, lambda text: "es") == "es"
    portuguese = (
        "Uma missão da CEDEAO está em Bissau desde terça-feira para avaliar o estado de preparação das eleições. "
        "A delegação reuniu-se com a Comissão Nacional de Eleições e com representantes dos partidos."
    )
    assert choose_language("es", portuguese, lambda text: "pt") == "pt"
    # A few foreign words in a text of the declared language do not call the detector.
    english = "The head of the mission met the president of the CEC and el Consejo Nacional Electoral."
    assert choose_language("en", english, never_called) == "en"
    assert choose_language("fr", "Élections au Sénégal : la CENA publie les listes", never_called) == "fr"


def test_month_names_tell_a_short_repost_s_language() -> None:
    # Few function words, but dates in Portuguese: the feed's Spanish hint is wrong.
    repost = "CNE de Timor-Leste marca votação para 9 de dezembro. Registo de 2 de junho a 31 de julho."
    assert choose_language("es", repost, lambda text: "pt") == "pt"
    # Two English function words and no Spanish one: an English post in a Spanish channel.
    post = "Hungary, election office: 60% of ballots processed, turnout 77.2% of voters."
    assert choose_language("es", post, lambda text: "en") == "en"
    assert choose_language("es", "Hungría: 60% of ballots", never_called) == "es"
    # A month both languages write alike ("abril") marks neither.
    assert choose_language("es", "Votação em abril, segundo a CNE", never_called) == "es"


def test_an_entry_s_own_language_overrides_the_feed_s() -> None:
    entry = Entry("Timor Oriental presenta su plan", "https://n.example/1", None, None, "", lang="es")
    assert normalise(entry, FEED, "fr", NOW, never_called).lang == "es"


def test_normalise_entry() -> None:
    entry = Entry(
        title="<b>Observers</b> arrive",
        link=" https://News.example/a?utm_medium=x ",
        guid="g-1",
        published=datetime(2026, 4, 20, 4, 30, tzinfo=UTC),
        summary_html="<p>Text &amp; more</p>",
    )
    item = normalise(entry, FEED, "en", NOW, never_called)
    assert item.title == "Observers arrive"
    assert item.link == "https://News.example/a?utm_medium=x"
    assert item.canonical_link == "https://news.example/a"
    assert item.summary == "Text & more"
    assert item.lang == "en"
    assert item.published_is_fallback is False


@pytest.mark.parametrize("published", [None, NOW + timedelta(days=30)])
def test_missing_or_future_date_falls_back_to_first_seen(published: datetime | None) -> None:
    entry = Entry("T", "https://n.example/1", None, published, "x")
    item = normalise(entry, FEED, "en", NOW, never_called)
    assert item.published == NOW
    assert item.published_is_fallback is True
    assert item.claimed_published == published


def test_guid_used_as_link_when_link_missing_and_javascript_links_dropped() -> None:
    from_guid = normalise(Entry("T", "", "https://n.example/story", None, "x"), FEED, "en", NOW, never_called)
    assert from_guid.canonical_link == "https://n.example/story"
    hostile = normalise(Entry("T", "javascript:alert(1)", None, None, "x"), FEED, "en", NOW, never_called)
    assert hostile.link == ""
    assert hostile.canonical_link == ""


def _script_agrees_by_counting(lang: str, text: str) -> bool:
    """The script check written the direct way: the share of Cyrillic among all letters."""
    sample = text[:400]
    letters = sum(map(str.isalpha, sample))
    if not letters:
        return True
    cyrillic = len(re.findall(r"[\u0400-\u04ff]", sample)) / letters
    return cyrillic > 0.5 if lang in ("ru", "kk") else cyrillic < 0.2


@settings(max_examples=300, deadline=None)
@given(lang=st.sampled_from(["ru", "kk", "en", "fr"]), text=st.text(alphabet="ab1 ая\u0483\u0482", max_size=30))
def test_choose_language_keeps_the_hint_exactly_when_the_script_agrees(lang: str, text: str) -> None:
    # A hint the script contradicts is replaced by the detector's answer (for a text with any content).
    agrees = _script_agrees_by_counting(lang, text)
    expected = lang if agrees or not text.strip() else "detected"
    assert choose_language(lang, text, lambda _: "detected") == expected


_MARKUP_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<br/>", "<BR />", "<hr>", '<a href="x>y">', "<a href='u' title=\"t\">", "</a>",
        "<strong>", "</strong >", "<script>", "</script>", "<template>", "<my-tag>", "<p class=x>", "</ p>",
        "<p/ >", "<h1>", "</H1>", "<!-- c -->", "&amp;", "<", ">", "x", " y ", "\n", "é",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_MARKUP_PIECES, max_size=10))
def test_plain_markup_is_read_as_html_parser_reads_it(pieces: list[str]) -> None:
    html = "".join(pieces)
    assert _plain_markup_text(html) in (None, _parsed_text(html))


def test_plain_markup_of_a_typical_summary_takes_the_short_path() -> None:
    html = '<p><strong>Observers</strong> arrive in <a href="https://x.example/?a=1">Astana</a></p><br/>end'
    assert _plain_markup_text(html) == "\nObservers arrive in Astana\n\n\nend"
    assert _plain_markup_text("<p>a &amp; b</p>") is None  # entities are left to HTMLParser
    assert _plain_markup_text("<p>a < b</p>") is None
