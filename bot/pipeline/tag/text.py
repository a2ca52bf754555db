"""Tokens, sentences and lemmas: the normalised stream every matcher works on.

Text is cut into word tokens (letters and digits; punctuation, apostrophes and hyphens separate
tokens, so "l'OSCE" and "AP-OSCE" both expose "OSCE"). Each token's key is its case-folded lemma,
so "выборах", "Elections" and "élections" meet their dictionary forms ("выборы", "election",
"élection") whatever the inflection, except words in capitals ("UN", "CEC", "ASTANA"), which are
keyed apart ("^un"): acronyms are thereby case-sensitive, and aliases get a capitals variant for
datelines and shouted headlines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import simplemma

_TOKEN = re.compile(r"\w+", re.UNICODE)
# A sentence ends at . ! ? followed by space, or at line breaks; abbreviations cost at most a
# split. Words are captured and sentence ends are not, so findall gives "" for each end.
_TOKEN_OR_SENTENCE_END = re.compile(r"(\w+)|[.!?…]\s+|\n+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_FRAGMENT = 3
CAPS = "^"


@dataclass(slots=True)
class Tokens:
    """The words of an item as parallel lists (cheaper than one object per word).

    ``surface[i]`` is word i as written, ``key[i]`` its case-folded lemma and ``sentence[i]`` its
    sentence (0 is the title).
    """

    surface: list[str]
    key: list[str]
    sentence: list[int]

    def __len__(self) -> int:
        return len(self.surface)

    def span(self, first: int, last: int) -> str:
        """Words ``first`` to ``last`` inclusive, as written (punctuation between them dropped)."""
        return " ".join(self.surface[first : last + 1])


def script_lang(word: str, lang: str) -> str:
    """The lemmatiser language for one word: Cyrillic words are Russian whatever the feed says.

    ``lang`` is one of the supported languages (the tagger normalises it); Latin words of a
    Russian item are read as English.
    """
    if _CYRILLIC.search(word):
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


def tokenise(title: str, text: str, lang: str, lemma: Lemmatiser) -> Tokens:
    """Words of the title (sentence 0) and of the text (sentences 1, 2, ...), with their lemmas."""
    surface = _TOKEN.findall(title)
    sentence = [0] * len(surface)
    n = 1
    words_in_sentence = 0
    # One pass over the text yields its words and, as "", the sentence ends between them.
    for word in _TOKEN_OR_SENTENCE_END.findall(text):
        if word:
            surface.append(word)
            sentence.append(n)
            words_in_sentence += 1
            continue
        # A fragment of a few words ("ASTANA." dateline, "Oct." abbreviation) belongs to the
        # sentence that follows it.
        if words_in_sentence > _FRAGMENT:
            n += 1
        words_in_sentence = 0
    cached = lemma.cache(lang).get
    key = [cached(w) or lemma(w, lang) for w in surface]
    return Tokens(surface, key, sentence)


def alias_tokens(alias: str) -> list[str]:
    """The words of a gazetteer alias, split exactly as text is split."""
    return _TOKEN.findall(alias)


def is_acronym(alias: str) -> bool:
    """An alias with letters but no lower-case letter ("CEC", "ПА ОБСЕ") is matched case-sensitively."""
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)
