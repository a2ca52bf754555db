"""Tokens, sentences and lemmas: the normalised stream every matcher works on.

Text is cut into word tokens (letters and digits; punctuation, apostrophes and hyphens separate
tokens, so "l'OSCE" and "AP-OSCE" both expose "OSCE"); a flag emoji is a token too. Each token's
key is its case-folded lemma, so "выборах", "Elections" and "élections" meet their dictionary forms
("выборы", "election", "élection") whatever the inflection, except words in capitals ("UN", "CEC",
"ASTANA"), which are keyed apart ("^un"): acronyms are thereby case-sensitive, and aliases get a
capitals variant for datelines and shouted headlines. Every number has one key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.words import Lemmatiser

# A flag (two regional indicator symbols, "🇧🇷") is a token too: posts open with their country's flag.
_FLAG = "[\U0001f1e6-\U0001f1ff]{2}"
_TOKEN = re.compile(rf"\w+|{_FLAG}", re.UNICODE)
_FLAG_TOKEN = re.compile(_FLAG)
# A sentence ends at . ! ? followed by space, or at line breaks; abbreviations cost at most a
# split. Words are captured and sentence ends are not, so findall gives "" for each end.
_TOKEN_OR_SENTENCE_END = re.compile(rf"(\w+|{_FLAG})|[.!?…]\s+|\n+")
_FRAGMENT = 3
# Every number has this key, in text and in vocabulary terms alike: a number in a term stands for any
# number ("il y a 10 ans" matches "il y a 15 ans").
NUMBER_KEY = "0"


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


_SENTENCE_END = re.compile(r"[.!?…]\s+|\n+")
# Ellipses and spaces a title cut short by its feed ends with.
_CUT_MARKS = " \t….,;:"


def headline_and_body(title: str, text: str) -> tuple[str, str]:
    """The headline and the rest of a post whose text repeats its title, whole or cut short.

    Channel posts carry no headline of their own: the feed's title is the post's first words, often
    cut mid-sentence ("La misión (28…"). Their headline is the text's first sentence and their lead
    the one after it, as in an article; other items are returned as they are.
    """
    head = title.rstrip(_CUT_MARKS)
    if not head or not text.startswith(head):
        return title, text
    end = _SENTENCE_END.search(text)
    if end is None:
        return text, ""
    return text[: end.start() + 1].rstrip(), text[end.end() :]


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
    key = [NUMBER_KEY if w.isdigit() else cached(w) or lemma(w, lang) for w in surface]
    return Tokens(surface, key, sentence)


def alias_tokens(alias: str) -> list[str]:
    """The words of a gazetteer alias, split exactly as text is split."""
    return _TOKEN.findall(alias)


def is_flag(word: str) -> bool:
    """A token that is a flag emoji."""
    return _FLAG_TOKEN.fullmatch(word) is not None


def is_acronym(alias: str) -> bool:
    """An alias with letters but no lower-case letter ("CEC", "ПА ОБСЕ") is matched case-sensitively."""
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)
