"""Normalise step: a parsed entry → an Item with plain text, canonical link, UTC time and language.

Pure: the only inputs are the entry, the feed, ``now`` and a language detector.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.models import Entry, FeedConfig, Item
from bot.words import CYRILLIC

MAX_TITLE = 500
MAX_SUMMARY = 20_000
MAX_LINK = 2_048
MAX_GUID = 1_024
# A date more than a day ahead is a publisher's mistake or a time-zone bug, not a scheduled post.
FUTURE_TOLERANCE = timedelta(days=1)

_BLOCK_TAGS = frozenset(
    "p br div li ul ol h1 h2 h3 h4 h5 h6 tr table blockquote section article header footer pre hr".split()
)
_SKIP_TAGS = frozenset(("script", "style", "noscript", "template"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\ufeff]")
# A run of spaces folds to one space. A lone " " already is one and is not matched: replacing
# every gap between words with itself made this the costliest step of plain_text.
_SPACES = re.compile(r"(?: [ \t\r\f\v\u00a0\u2007\u202f]|[\t\r\f\v\u00a0\u2007\u202f])[ \t\r\f\v\u00a0\u2007\u202f]*")
_TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "yclid", "mc_cid", "mc_eid")
_DEFAULT_PORTS = {"http": 80, "https": 443}

LanguageDetector = Callable[[str], str]


class _TextExtractor(HTMLParser):
    """Collects visible text, turning block elements into line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


# A start tag with plain attributes, or an end tag: markup that HTMLParser reads as exactly one
# tag event. Feed summaries are mostly made of these (<p>, <strong>, <a href="...">).
_PLAIN_TAG = re.compile(
    r"<(?:([a-zA-Z][a-zA-Z0-9]*)(?:\s+[a-zA-Z][-\w:.]*(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'))?)*\s*(/?)"
    r"|/([a-zA-Z][a-zA-Z0-9]*)\s*)>"
)
# Tags whose content the extractor skips or HTMLParser reads as raw text: left to HTMLParser.
_NOT_PLAIN_TAGS = _SKIP_TAGS | frozenset(HTMLParser.CDATA_CONTENT_ELEMENTS)


def _plain_markup_text(html: str) -> str | None:
    """The text ``_TextExtractor`` would give for markup of plain tags only, without entities; else None.

    Reading such markup with one regex costs a third of HTMLParser's time.
    """
    if "&" in html:
        return None
    parts = []
    position = tags = 0
    for match in _PLAIN_TAG.finditer(html):
        tag = (match[1] or match[3]).lower()
        if tag in _NOT_PLAIN_TAGS:
            return None
        tags += 1
        parts.append(html[position : match.start()])
        position = match.end()
        if tag in _BLOCK_TAGS:
            # "<br/>" is a start and an end tag to HTMLParser: two line breaks.
            parts.append("\n\n" if match[2] else "\n")
    if tags != html.count("<"):
        return None  # a "<" that opens no plain tag: a comment, a declaration or a stray "<"
    parts.append(html[position:])
    return "".join(parts)


def _parsed_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts)


def plain_text(html: str, limit: int = MAX_SUMMARY) -> str:
    """HTML → plain text: tags stripped, entities decoded, control characters dropped, spaces folded."""
    text = html
    if "<" in html or "&" in html:
        plain = _plain_markup_text(html)
        text = plain if plain is not None else _parsed_text(html)
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    text = _SPACES.sub(" ", text)
    # Every run of white space holding a line break becomes one line break, then the ends are
    # stripped: the same as stripping each line and dropping blank ones.
    text = "\n".join(line for line in map(str.strip, text.split("\n")) if line)
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit * 0.8 else limit].rstrip() + "…"
    return text


def canonical_link(url: str) -> str | None:
    """A link in the form used as a duplicate key, or None when it is not an http(s) URL.

    Scheme and host are lower-cased, default ports, fragments and tracking parameters (utm_* and
    friends) dropped, and a trailing slash removed from non-root paths.
    """
    url = url.strip()
    if not url or len(url) > MAX_LINK:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(_TRACKING_PARAMS)
    ]
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def content_hash(title: str, summary: str) -> str:
    """A hash of the visible text, case- and whitespace-insensitive: the third exact-duplicate key."""
    folded = " ".join(f"{title}\n{summary}".casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


_CYRILLIC_LANGS = frozenset(("ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg"))


def _script_agrees(lang: str, text: str) -> bool:
    sample = text[:400]
    cyrillic_letters = len(CYRILLIC.findall(sample))
    if not cyrillic_letters:
        # No Cyrillic at all (most items): letters need not be counted, only whether there are any.
        return lang not in _CYRILLIC_LANGS or not any(map(str.isalpha, sample))
    letters = sum(map(str.isalpha, sample))
    if not letters:
        return True
    cyrillic = cyrillic_letters / letters
    return cyrillic > 0.5 if lang in _CYRILLIC_LANGS else cyrillic < 0.2


# Words of one of these languages only: short words that occur in almost every sentence, and month
# names (dates are in almost every news item). Feeds that carry two Latin-script languages (a French and
# a Spanish service, an English feed with reposts in French) declare only one; these words tell the
# detector when an item is in another.
_MARKER_WORDS = {
    "en": "the of and to is was were for with that from by its has have this are "
    "january february march april may june july august september october november december",
    "fr": "le les des du et est une pour au aux sur dans qui avec cette il pas "
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "el los las del y con una su sus fue ha al "
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "pt": "os da do das dos em na uma com ao às foi não pelo pela pelos pelas é são também após até um "
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "de": "der die und ist nicht mit für auf dem den ein eine von zu wurde "
    "januar februar märz april mai juni juli august september oktober november dezember",
}


def _language_of_word(marker_words: Mapping[str, str]) -> dict[str, str]:
    """Each marker word's language; a word that two languages share ("abril", "august") marks neither."""
    languages: defaultdict[str, set[str]] = defaultdict(set)
    for lang, words in marker_words.items():
        for word in words.split():
            languages[word].add(lang)
    return {word: next(iter(langs)) for word, langs in languages.items() if len(langs) == 1}


_LANGUAGE_OF_WORD = _language_of_word(_MARKER_WORDS)
_WORD = re.compile(r"\w+")


def _other_language_likely(hint: str, text: str) -> bool:
    """True when the opening of ``text`` reads clearly more like another language than ``hint``.

    Two marker words of another language against none of the hint's are enough: a short channel post
    ("Hungary, election office: 60% of ballots processed") holds few, and the detector decides.
    """
    if hint not in _MARKER_WORDS:
        return False
    counts = Counter(map(_LANGUAGE_OF_WORD.get, _WORD.findall(text[:400].lower())))
    hint_count = counts[hint]
    return any(count >= max(2, 2 * hint_count) for lang, count in counts.items() if lang and lang != hint)


def choose_language(hint: str | None, text: str, detect: LanguageDetector) -> str:
    """The declared language when the text's script and common words agree with it, else the detected one."""
    if hint:
        hint = hint.split("-")[0].split("_")[0].lower()
        if _script_agrees(hint, text) and not _other_language_likely(hint, text):
            return hint
    return detect(text) if text.strip() else (hint or "und")


def feed_language(entries_text: list[str], detect: LanguageDetector) -> str | None:
    """One language for a feed that declares none, detected once from its first entries' text."""
    sample = "\n".join(entries_text)[:2000]
    return detect(sample) if sample.strip() else None


def normalise(
    entry: Entry,
    feed: FeedConfig,
    feed_lang: str | None,
    now: datetime,
    detect: LanguageDetector,
) -> Item:
    """Turn one parsed entry into an Item."""
    title = plain_text(entry.title, MAX_TITLE)
    summary = plain_text(entry.summary_html)
    link = entry.link.strip()[:MAX_LINK]
    canonical = canonical_link(link)
    guid = (entry.guid or "").strip()[:MAX_GUID] or None
    if canonical is None and guid and canonical_link(guid):
        # Some feeds put the article URL only in <guid isPermaLink="true">.
        link, canonical = guid, canonical_link(guid)
    if canonical is None:
        link = ""
    published = entry.published
    is_fallback = published is None or published > now + FUTURE_TOLERANCE
    return Item(
        feed_url=feed.url,
        title=title,
        link=link,
        canonical_link=canonical or "",
        guid=guid,
        published=now if is_fallback or published is None else published,
        published_is_fallback=is_fallback,
        claimed_published=published if is_fallback else None,
        summary=summary,
        lang=choose_language(entry.lang or feed.lang or feed_lang, f"{title}\n{summary}", detect),
        content_hash=content_hash(title, summary),
    )


LANGID_LANGUAGES: tuple[str, ...] = tuple(
    "en ru fr es de it pt nl pl uk tr ar fa ka hy az kk ky uz tg mn ro sr hr bs sq mk bg el "
    "hu cs sk sl lt lv et fi sv no da zh ja ko vi id".split()
)


@functools.cache
def _langid_identifier() -> Any:
    # Loading the model takes most of a second: once per process, and only when a text needs it.
    # Built from the supported languages' columns alone: set_languages() would keep the full
    # probability table (~28 MB of the ~80 MB model) beside its slice, in every process.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
    keep = [index for index, lang in enumerate(classes) if lang in LANGID_LANGUAGES]
    # The automaton's outputs come as a list of 100,000 Python ints (~3.6 MB); as machine integers
    # they take 0.4 MB and are read the same way.
    outputs = array("i", output)
    return LanguageIdentifier(
        ptc[:, keep].copy(), pc[keep], [classes[index] for index in keep], nextmove, outputs, tk_row=row
    )


def narrowed_langid_identifier(langs: Iterable[str]) -> Any:
    """py3langid over ``langs`` only, sliced from this process's model instead of loading another.

    It classifies as the full model restricted with ``set_languages(langs)`` does (the same
    columns, in the same order) but adds a few kilobytes where a second model took ~100 MB.
    """
    from py3langid.langid import LanguageIdentifier

    model = _langid_identifier()
    wanted = set(langs)
    if not wanted <= set(model.nb_classes):
        raise ValueError(f"languages outside LANGID_LANGUAGES: {sorted(wanted - set(model.nb_classes))}")
    keep = [index for index, lang in enumerate(model.nb_classes) if lang in wanted]
    return LanguageIdentifier(
        model.nb_ptc[:, keep],
        model.nb_pc[keep],
        [model.nb_classes[index] for index in keep],
        model.tk_nextmove,
        model.tk_output,
        tk_row=model.tk_row,
    )


class LangidDetector:
    """Language identification with py3langid, limited to languages news feeds here are written in."""

    def __call__(self, text: str) -> str:
        """Return the ISO 639-1 code of the text's language."""
        lang, _ = _langid_identifier().classify(text[:1000])
        return str(lang)
