"""Tokens, sentences and lemmas: the normalised stream every matcher works on.

Text is cut into word tokens (letters and digits; punctuation, apostrophes and hyphens separate
tokens, so "l'OSCE" and "AP-OSCE" both expose "OSCE"). Each token carries two keys:

* ``key``: the case-folded lemma, so "выборах", "Elections" and "élections" meet their dictionary
  forms ("выборы", "election", "élection") whatever the inflection;
* ``surface``: the token as written, used only by case-sensitive acronym patterns ("UN", "AU",
  "CEC") that must not fire on French "un"/"au" or English words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import simplemma

# Languages simplemma lemmatises for us; anything else falls back to English for Latin script.
LEMMA_LANGS = ("en", "ru", "fr", "es")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# A sentence ends at . ! ? or a line break followed by space; abbreviations cost at most a split.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_FRAGMENT = 3


@dataclass(frozen=True, slots=True)
class Token:
    """One word of an item: where it is, how it was written and its normalised key."""

    surface: str
    key: str
    start: int
    end: int
    sentence: int


def script_lang(word: str, lang: str) -> str:
    """The lemmatiser language for one word: Cyrillic words are Russian whatever the feed says."""
    if _CYRILLIC.search(word):
        return "ru"
    if lang in LEMMA_LANGS and lang != "ru":
        return lang
    return "en"


class Lemmatiser:
    """Case-folded lemmas with a cache, plus a stem fallback for names simplemma does not know.

    simplemma knows common nouns and most country names in every case, but not every inflected
    city or country ("Астане", "Боливии"). For a word it leaves unchanged, the fallback tries the
    gazetteer's own stems (a name minus its final vowel): a name may differ from its inflected
    form only in the ending, so dropping one to three final letters of the word finds it. The
    stems come from the data, so no language's endings are written in code.
    """

    def __init__(self, stems: dict[str, str] | None = None) -> None:
        self._cache: dict[tuple[str, str], str] = {}
        self._stems = stems or {}

    def set_stems(self, stems: dict[str, str]) -> None:
        """Install the name stems (stem → lemma) and forget cached lemmas."""
        self._stems = stems
        self._cache.clear()

    def __call__(self, word: str, lang: str) -> str:
        """The case-folded lemma of ``word`` read as language ``lang``."""
        cache_key = (lang, word)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        folded = word.casefold()
        wlang = script_lang(word, lang)
        lemma = folded
        if not folded.isdigit() and len(folded) > 1:
            lemma = simplemma.lemmatize(folded, lang=wlang).casefold()
            # simplemma's tables hold a few odd pairs (an adjective mapped to the noun of a
            # compound); a lemma that does not even share the word's first two letters is refused.
            if lemma[:2] != folded[:2]:
                lemma = folded
        if lemma == folded and self._stems and len(folded) >= 4 and wlang == "ru" and word[0].isupper():
            for cut in (1, 2, 3):
                found = self._stems.get(folded[:-cut])
                if found is not None:
                    lemma = found
                    break
        # The cache is bounded by the vocabulary of the feeds; plain dict writes are atomic in CPython.
        if len(self._cache) < 500_000:
            self._cache[cache_key] = lemma
        return lemma


def split_sentences(text: str) -> list[tuple[int, str]]:
    """Sentences of ``text`` with their start offsets."""
    out: list[tuple[int, str]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > pos:
            out.append((pos, text[pos : m.start()]))
        pos = m.end()
    if pos < len(text):
        out.append((pos, text[pos:]))
    return out


def tokenise(title: str, text: str, lang: str, lemma: Callable[[str, str], str]) -> list[Token]:
    """Tokens of the title (sentence 0) and of the text (sentences 1, 2, ...).

    Offsets of text tokens are shifted past the title and one separator, so spans can be cut
    from ``title + "\\n" + text``.
    """
    tokens: list[Token] = []
    for m in _TOKEN.finditer(title):
        w = m.group()
        tokens.append(Token(w, lemma(w, lang), m.start(), m.end(), 0))
    base = len(title) + 1
    n = 1
    for offset, sentence in split_sentences(text):
        words = list(_TOKEN.finditer(sentence))
        for m in words:
            w = m.group()
            start = base + offset + m.start()
            tokens.append(Token(w, lemma(w, lang), start, start + len(w), n))
        # A fragment of a few words ("ASTANA." dateline, "Oct." abbreviation) belongs to the
        # sentence that follows it.
        if len(words) > _FRAGMENT:
            n += 1
    return tokens


def alias_tokens(alias: str) -> list[str]:
    """The words of a gazetteer alias, split exactly as text is split."""
    return _TOKEN.findall(alias)


def is_acronym(alias: str) -> bool:
    """An alias with letters but no lower-case letter ("CEC", "ПА ОБСЕ") is matched case-sensitively."""
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)
