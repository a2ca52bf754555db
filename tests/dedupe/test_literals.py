"""Pattern helpers of the vocabulary: required substrings (a text without any never matches) and tries."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pipeline.dedupe.literals import ShortcutPattern, required_substring_groups, required_substrings
from bot.pipeline.dedupe.vocabulary import KindFinder, default_vocabulary, trie_alternation


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bopen(s|ed|ing)?\b.{0,40}\bmission", ("mission",)),
        (r"\bmeets?\b", ("meet",)),  # the optional "s" is not required
        (r"\b(preliminary|provisional)\b.{0,20}\bresults?", ("preliminary", "provisional")),
        (r"\b(итогов|окончательн)\w* (отчет|доклад)", ("итогов", "окончательн")),
        (r"a\.b?c", ("a.",)),  # an escaped dot is a plain character
        (r"x{2}yy", ("yy",)),
        (r"[]x]yz", ("yz",)),  # the "]" opening a class is a member, not its end
        (r"([)]q)zz", ("zz",)),
        (r"(ab|cd)?e", ("e",)),  # an optional group requires nothing
        (r"\x41bc", ()),  # hex digits belong to the escape
        (r"(?i)aBc", ("abc",)),  # case-insensitive: to be looked for in the lower-cased text
        (r"(?i)kiss", ()),  # k, i and s also match non-ASCII letters (K, ı, İ, ſ) under IGNORECASE
        (r"(?x)a b", ()),  # verbose: the space is not part of the pattern
        (r"ab|cd", ()),
        (r"(ab|)", ()),
        (r"(?=abc)d", ("d",)),
        (r"(?P<name>abc)", ()),
    ],
)
def test_required_substrings(pattern: str, expected: tuple[str, ...]) -> None:
    assert required_substrings(pattern) == expected


_PATTERN_PIECES = st.sampled_from(["a", "b", "ab", "(", ")", "|", "?", "*", "+", "{2}", "[ab]", ".", "\\.", "(?:", "^"])


def _compiled(pattern: str) -> re.Pattern[str] | None:
    """The pattern compiled, or None when the generated pieces do not form a valid regex."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(pattern)
    except re.error:
        return None


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(_PATTERN_PIECES, max_size=8), texts=st.lists(st.text(alphabet="ab.", max_size=12), max_size=8))
def test_a_match_always_contains_a_required_substring(pieces: list[str], texts: list[str]) -> None:
    pattern = "".join(pieces)
    compiled = _compiled(pattern)
    if compiled is None:
        return
    substrings = required_substrings(pattern)
    for text in texts:
        match = compiled.search(text)
        if match and substrings:
            assert any(substring in match.group() for substring in substrings), (pattern, text)


def test_every_group_of_required_substrings_is_in_every_match() -> None:
    pattern = r"\b(launch|deploy)(s|ed)?\b.{0,50}\b(missions?|observers)"
    groups = required_substring_groups(pattern, 2)
    assert set(groups) == {("launch", "deploy"), ("mission", "observers")}
    assert required_substrings(pattern) == groups[0]
    finder = KindFinder([("opened", pattern)])
    assert finder.find("the union deployed observers") == {"opened"}
    assert finder.find("observers only, no verb") == frozenset()


def test_kind_finder_searches_unanchored_and_anchored_patterns() -> None:
    finder = KindFinder([("meeting", r"\bmeets?\b"), ("called", r"\b(sets?|fixing)\b.{0,30}\bdate"), ("any", r"^\w")])
    assert finder.find("the mission meets the commission") == {"meeting", "any"}
    assert finder.find("parliament sets the date") == {"called", "any"}
    assert finder.find(" nothing here") == frozenset()


def test_vocabulary_kinds_match_the_patterns_searched_one_by_one() -> None:
    vocabulary = default_vocabulary()
    texts = [
        "the odihr needs assessment mission met with the central election commission",
        "наблюдатели: выборы прошли спокойно, явка составила 67,4 процента",
        "la mission d'observation a ouvert ses portes; rapport preliminaire attendu",
        "el tribunal convoca a elecciones; resultados preliminares al mediodia",
        "observers say the vote was calm; final report to be published",
    ]
    for text in texts:
        expected = {kind for kind, pattern in vocabulary.kinds.patterns if pattern.search(text)}
        assert expected
        assert vocabulary.kinds_in(text) == expected


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abc.", min_size=1, max_size=4), min_size=1, max_size=6),
    text=st.text(alphabet="abc. ", max_size=30),
)
def test_trie_alternation_matches_like_a_longest_first_alternation(words: list[str], text: str) -> None:
    longest_first = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    trie = trie_alternation(words)
    # Alone, and followed by a constraint that makes the engine back off to shorter words.
    for suffix in ("", r"(?=\s|$)"):
        expected = [match.group() for match in re.finditer(f"(?:{longest_first}){suffix}", text)]
        assert [match.group() for match in re.finditer(f"(?:{trie}){suffix}", text)] == expected


_ANCHORED_PIECES = st.sampled_from(
    ["a", "b", "k", "s", "ab", "(", ")", "|", "?", "*", "\\s*", "$", ".", "^", "\n", "(?:"]
)


@settings(max_examples=500, deadline=None)
@given(
    flags=st.sampled_from(["", "(?m)", "(?i)", "(?im)"]),
    pieces=st.lists(_ANCHORED_PIECES, max_size=7),
    texts=st.lists(st.text(alphabet="abAB \nksKSıİſ\u212a", max_size=16), max_size=6),
)
def test_shortcut_pattern_blanks_exactly_like_sub(flags: str, pieces: list[str], texts: list[str]) -> None:
    pattern = flags + "".join(pieces)
    compiled = _compiled(pattern)
    if compiled is None:
        return
    shortcut = ShortcutPattern(pattern)
    for text in texts:
        assert shortcut.blank(text) == compiled.sub(" ", text), (pattern, text)


def test_shortcut_pattern_tries_line_starts_of_a_multiline_pattern() -> None:
    byline = ShortcutPattern(r"(?im)^\s*by [A-Z]\w+\s*$")
    assert byline.blank("Lead text by Anna\nBy Anna\nMore") == "Lead text by Anna\n \nMore"
    assert ShortcutPattern(r"^by \w+").blank("by Anna\nby Bob") == " \nby Bob"


def test_shortcut_pattern_keeps_unicode_case_matches_of_ascii_letters() -> None:
    # Under IGNORECASE "s" also matches the long s and "k" the Kelvin sign: no substring shortcut there.
    assert ShortcutPattern(r"(?i)\bstory").blank("ſtory") == " "
    assert ShortcutPattern(r"(?i)kelvin").blank("\u212aelvin") == " "
    assert ShortcutPattern(r"(?i)updated").blank("UPDATED today") == "  today"
