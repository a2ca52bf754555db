"""Word-level language tools shared by the knowledge loader and every pipeline step: script tests,
accent folding and lemmas.

Everything that compares words across spellings and inflections (aliases, subscriptions, tagging,
dedupe) must read them the same way, so these live in one place below all of them.
"""

from __future__ import annotations

import re
import unicodedata

import simplemma

# Basic Cyrillic block: Russian, Ukrainian, Belarusian, Kazakh, Kyrgyz, Mongolian and Serbian letters.
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Marks a word written in capitals in its lemma key (see Lemmatiser).
CAPS = "^"
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def strip_accents(text: str) -> str:
    """``text`` without combining marks: é → e, ñ → n, й → и, ё → е."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def fold(text: str) -> str:
    """Lower case without accents, the form every pattern is matched against."""
    return strip_accents(text.casefold())


def script_lang(word: str, lang: str) -> str:
    """The lemmatiser language for one word: Cyrillic words are Russian whatever the feed says.

    ``lang`` is one of the supported languages (the tagger normalises it); Latin words of a
    Russian item are read as English.
    """
    if CYRILLIC.search(word):
        return "ru"
    return "en" if lang == "ru" else lang


class Lemmatiser:
    """Case-folded lemmas with a cache, plus a stem fallback for names simplemma does not know.

    simplemma knows common nouns and most country names in every case, but not every inflected
    city, country or demonym ("Астане", "Боливии", "кыргызские"). For a Russian word simplemma
    does not know, the fallback tries the gazetteer's own stems (a name and the name minus its
    last one or two letters): a name differs from its inflected forms only in the ending, so
    dropping up to three final letters of the word finds it. The stems come from the data, so no
    language's endings are written in code; known words never take this path.
    """

    def __init__(self, stems: dict[str, str] | None = None) -> None:
        self._cache: dict[str, dict[str, str]] = {}
        self._stems = stems or {}
        self._names: frozenset[str] = frozenset()

    def set_stems(self, stems: dict[str, str]) -> None:
        """Install the name stems (stem → lemma) and forget cached lemmas."""
        self._stems = stems
        self._cache.clear()

    def set_names(self, names: frozenset[str]) -> None:
        """Words that are names as written (case-folded) and forget cached lemmas.

        simplemma reads some names as forms of common words (Spanish "Irán" as "ir", Russian "Того"
        as "тот", "Куба" as "куб"): a name in its dictionary form is kept as it is.
        """
        self._names = names
        self._cache.clear()

    def cache(self, lang: str) -> dict[str, str]:
        """The word → lemma cache of one language (callers read it directly in hot loops)."""
        found = self._cache.get(lang)
        if found is None:
            found = self._cache.setdefault(lang, {})
        return found

    def __call__(self, word: str, lang: str) -> str:
        """The case-folded lemma of ``word`` read as language ``lang``."""
        cache = self.cache(lang)
        hit = cache.get(word)
        if hit is not None:
            return hit
        if len(word) > 1 and word.isupper():
            # An acronym ("UN", "CEC", "ЦИК") or a word in capitals is keyed apart ("^un"): aliases
            # written in capitals only match capitals, so French "un" or English "au" never fire.
            # A marker rather than the capitals themselves keeps the automata's alphabet small.
            key = CAPS + word.casefold()
            cache[word] = key
            return key
        folded = word.casefold()
        wlang = script_lang(word, lang)
        lemma = folded
        if not folded.isdigit() and len(folded) > 1 and folded not in self._names:
            # low_memory: simplemma's streamed dictionaries take ~50 MB instead of ~300 MB; the
            # per-word cache above absorbs their slower lookups.
            lemma = simplemma.lemmatize(folded, lang=wlang, low_memory=True).casefold()
            # simplemma's tables hold a few odd pairs (an adjective mapped to the noun of a
            # compound); a lemma that does not even share the word's first two letters is refused, and
            # so is a lemma of several words (token keys must hold no space).
            if lemma[:2] != folded[:2] or " " in lemma:
                lemma = folded
        # simplemma guesses a lemma for words it does not know, and its guess for an inflected
        # adjective can be wrong ("кыргызстанскому" → "кыргызстанскто"): the data's stems come first.
        if (
            self._stems
            and len(folded) >= 4
            and wlang == "ru"
            and not simplemma.is_known(folded, lang="ru", low_memory=True)
        ):
            for cut in (0, 1, 2, 3):
                found = self._stems.get(folded[: len(folded) - cut])
                if found is not None:
                    lemma = found
                    break
        # The cache is bounded by the vocabulary of the feeds; plain dict writes are atomic in CPython.
        if len(cache) < 300_000:
            cache[word] = lemma
        return lemma


def is_dictionary_word(word: str, lang: str) -> bool:
    """Whether simplemma's dictionary of the word's language knows ``word`` (any case)."""
    return bool(simplemma.is_known(word.casefold(), lang=script_lang(word, lang), low_memory=True))
