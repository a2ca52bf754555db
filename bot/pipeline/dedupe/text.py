"""Language-independent features of an item's text: folded words, numbers, dates and names.

Everything here is pure string work. Translations share few words, so what links them is what
survives translation: figures ("67.4 %" = "67,4%"), dates ("26 April" = "26 апреля"), and proper
names once transliterated ("ISFED", "Бишкек" ≈ "Bishkek").
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from bot.words import strip_accents

if TYPE_CHECKING:
    from bot.pipeline.dedupe.vocabulary import Vocabulary

# How much of the summary counts as the lead: rewrites and truncated reposts keep the first
# paragraph, while later paragraphs of a long read add background that other reports lack.
LEAD_WORDS = 60
LEAD_CHARS = 320
# Word stems: the first letters of a word are enough to match inflected forms
# ("elections"/"election", "выборы"/"выборов") without a lemmatiser on the hot path.
STEM_LETTERS = 5
# Short words are mostly function words in every language we read.
MIN_TOKEN_LETTERS = 4

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# A figure: its integer part ("10,120", "10.120", "10 120", "67") not glued to a word, a dot or a
# comma before it, then an optional one- or two-digit fraction. The pattern opens with a digit and
# checks what precedes it afterwards ((?<![\w.,]\d)), so that the engine skips from digit to
# digit instead of trying the lookbehind at every character.
_NUMBER = re.compile(
    r"(\d(?<![\w.,]\d)(?:\d{0,2}(?:(?:[ \u00a0\u202f]|[,.](?=\d{3}\b))\d{3})+|\d*))(?:[.,](\d{1,2})(?!\d))?(?!\w)"
)
_TIME = re.compile(r"\b([01]?\d|2[0-3])[:h]([0-5]\d)\b")
_YEAR = re.compile(r"^(19|20)\d\d$")
_NON_DIGITS = re.compile(r"\D")
_DATELINE = re.compile(
    r"^(?P<place>[^\n,.(–—-]{2,40}?)(?P<date>,[^\n(–—-]{0,30}?)?(?P<agency>\s*\([^)\n]{1,30}\))?\s*[-–—.]\s+"
)
_SENTENCE_MARKS = frozenset('.!?:;«»"“”()[]\n–—-|')

_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ә": "a", "ғ": "g",
        "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    }
)  # fmt: skip
# Latin spellings of one sound, reduced to one letter so that transliterations meet: "Kosjerić" and
# "Косьеричах", "Baghdad" and "Bagdad", "Warsaw" and "Варшава", "Kharkiv" and "Харьков". One pass,
# longest first ("tskh" is "ts" then "kh"); "j" is a vowel-like glide in Serbian, Polish and Czech.
_SPELLINGS = {
    "shch": "s", "sch": "s", "tch": "c", "dzh": "j", "kh": "h", "zh": "z", "sh": "s", "ch": "c", "ts": "c",
    "tz": "c", "cz": "c", "gh": "g", "ph": "f", "th": "t", "ck": "k", "w": "v", "q": "k", "j": "",
}  # fmt: skip
_SPELLING = re.compile("|".join(sorted(_SPELLINGS, key=len, reverse=True)))
# Russian case endings that hold a consonant, which a skeleton would keep ("в Косьеричах", "с Петровым");
# a name is also filed without them (never "-ов", "-ев": that is how surnames end).
_CYRILLIC_CASE_ENDING = re.compile(r"(?<=[а-яё]{4})(ах|ях|ами|ями|ым|им|ом|ем|ых|их)$", re.IGNORECASE)
_VOWELS = re.compile(r"[aeiouy]+")
_NON_LETTERS = re.compile(r"[^a-z]+")
_REPEATS = re.compile(r"(.)\1+")
# A name's skeleton: its first consonants after transliteration. Vowels are where transliterations
# and case endings disagree ("Yerevan"/"Erevan"/"Ереване"), consonants rarely are.
NAME_CONSONANTS = 5


def clean_summary(summary: str, vocabulary: Vocabulary) -> str:
    """The summary without its dateline, agency credit, bylines, hashtags and update notes."""
    text = summary.strip()
    match = _DATELINE.match(text)
    if match and (match["place"].strip().isupper() or match["agency"]):
        text = text[match.end() :]
    for pattern in vocabulary.boilerplate:
        text = pattern.blank(text)
    return text.strip()


def lead_of(cleaned: str) -> str:
    """The first ``LEAD_WORDS`` words of a cleaned summary."""
    words = cleaned.split(maxsplit=LEAD_WORDS)
    return " ".join(words[:LEAD_WORDS])


def words(folded: str) -> list[str]:
    """The words of folded text."""
    return _WORD.findall(folded)


def stems(folded_words: list[str]) -> frozenset[str]:
    """Stems of the content words (long enough not to be function words) among folded words."""
    return frozenset(word[:STEM_LETTERS] for word in folded_words if len(word) >= MIN_TOKEN_LETTERS)


def _number_value(integer: str, fraction: str | None) -> str:
    digits = integer if integer.isdigit() else _NON_DIGITS.sub("", integer)
    return f"{int(digits)}.{fraction}" if fraction else str(int(digits))


def _one_decimal(value: str) -> str | None:
    # None when rounding reaches a whole number: "12.04" read as "12" would match counts of people.
    rounded = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return None if rounded == rounded.to_integral_value() else str(rounded)


def _thousands(value: str) -> str:
    thousands = Decimal(value) * 1000
    return str(int(thousands)) if thousands == thousands.to_integral_value() else str(thousands.normalize())


def numbers(without_dates: str, vocabulary: Vocabulary) -> tuple[frozenset[str], frozenset[str]]:
    """(figures, percentages) in folded text whose dates ``find_dates`` blanked out, years left out.

    Figures are normalised across conventions: "10,120" = "10.120" = "10 120" = "10120", "67,4" = "67.4",
    "3,4 mil" = "3400", "mil" = "1000"; a two-decimal figure is also read rounded to one ("87.28", "87.3").
    Day numbers of dates ("26 April") and years say when, not what, and are compared as dates.
    """
    figures: set[str] = set()
    percents: set[str] = set()

    def read_time(match: re.Match[str]) -> str:
        figures.add(f"{int(match[1])}:{match[2]}")
        return " "

    without_times = _TIME.sub(read_time, without_dates)
    for match in _NUMBER.finditer(without_times):
        value = _number_value(match[1], match[2])
        if vocabulary.thousand_pattern.match(without_times, match.end()):
            value = _thousands(value)
        elif match[1].isdigit() and _YEAR.match(value):
            continue
        # "87.28" is also read as "87.3": another report of the same count may round it.
        rounded = _one_decimal(value) if match[2] and len(match[2]) == 2 else None
        if vocabulary.percent_pattern.match(without_times, match.end()):
            percents.add(value)
            if rounded:
                percents.add(rounded)
        figures.add(value)
        if rounded:
            figures.add(rounded)
    if vocabulary.lone_thousand_pattern.search(without_times):
        figures.add("1000")
    return frozenset(figures), frozenset(percents)


def find_dates(folded: str, vocabulary: Vocabulary) -> tuple[frozenset[tuple[int, int]], str]:
    """(month, day) of every date in folded text, and the text with each date replaced by a space.

    Dates: "26 april", "april 26", "26 апреля", "26 de abril", and both ends of ranges ("12-14 september").
    The blanked text is where ``numbers`` reads figures, so that day numbers do not count as figures.
    """
    found: set[tuple[int, int]] = set()
    pieces: list[str] = []
    start = 0
    for match in vocabulary.date_pattern.finditer(folded):
        month = vocabulary.months[match["month"] or match["month2"]]
        for day in (match["day"] or match["day2"], match["last"] or match["last2"]):
            if day:
                found.add((month, int(day)))
        pieces.append(folded[start : match.start()])
        start = match.end()
    if not pieces:
        return frozenset(found), folded
    pieces.append(folded[start:])
    return frozenset(found), " ".join(pieces)


# Names recur from item to item (countries, bodies, capitals): their skeletons are remembered.
@functools.lru_cache(maxsize=4096)
def name_key(word: str) -> str:
    """A transliterated consonant skeleton of a name: "Bishkek", "Бишкеке" → "bshk"."""
    latin = _NON_LETTERS.sub("", strip_accents(word.casefold().translate(_TRANSLIT)))
    latin = _SPELLING.sub(lambda match: _SPELLINGS[match[0]], latin)
    return _REPEATS.sub(r"\1", _VOWELS.sub("", latin))[:NAME_CONSONANTS]


def _opens_sentence(text: str, start: int) -> bool:
    position = start - 1
    while position >= 0 and text[position] in " \t\u00a0":
        position -= 1
    return position < 0 or text[position] in _SENTENCE_MARKS


def names(text: str) -> frozenset[str]:
    """Skeletons of proper names: capitalised words not opening a sentence, and acronyms anywhere.

    Names survive translation (transliterated), so two texts naming the same organisations, people
    and places in different languages share skeletons.
    """
    found: set[str] = set()
    for match in _WORD.finditer(text):
        word = match[0]
        if len(word) < 3 or not word[0].isupper():
            continue
        if _opens_sentence(text, match.start()) and sum(ch.isupper() for ch in word) < 2:
            continue  # a capital opening a sentence, and not an acronym
        stem = _CYRILLIC_CASE_ENDING.sub("", word)
        for form in (word, stem) if stem != word else (word,):
            key = name_key(form)
            if len(key) >= 2:
                found.add(key)
    return frozenset(found)
