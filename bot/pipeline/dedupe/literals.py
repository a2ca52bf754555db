"""What the text of a regular expression tells before any search: what its matches contain, where they begin.

``required_substrings``: a text that holds none of them cannot match, so the pattern need not be
searched there (the event vocabulary has about a hundred patterns, and one pass for their
substrings over a text costs less than a few regex searches). ``ShortcutPattern`` also tries a
pattern opening with ``^`` at line starts only, instead of letting the engine step through every
character. The reading is deliberately simple and errs only towards the general case, never
towards a wrong shortcut.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_CHARACTER, _GROUP, _QUANTIFIER, _ALTERNATIVE, _OTHER = "character", "group", "quantifier", "alternative", "other"
_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
# Flags that change what a plain character stands for: verbose mode (spaces) and locale (case).
_UNREAD_FLAGS = frozenset("xL")
# Under IGNORECASE these ASCII letters also match non-ASCII ones (ı, İ, ſ, K); other ASCII
# characters match only their own upper and lower case.
_CASE_UNSAFE = frozenset("iksIKS")
_PLAIN_GROUP = re.compile(r"\((?:\?:)?")


def required_substrings(pattern: str) -> tuple[str, ...]:
    """Substrings of which every match of ``pattern`` contains at least one; () when none is known.

    The answer is the best of the candidates read from the pattern's top level: each run of plain
    characters that no quantifier makes optional, and each group whose every alternative requires
    substrings of its own. Best means the longest shortest substring, since short ones occur in
    most texts. For a case-insensitive pattern ("(?i)" at its start) the substrings are given in
    lower case and are to be looked for in ``text.lower()``.
    """
    groups = required_substring_groups(pattern, 1)
    return groups[0] if groups else ()


def required_substring_groups(pattern: str, most: int) -> tuple[tuple[str, ...], ...]:
    """Up to ``most`` of the candidates ``required_substrings`` chooses from, best first.

    Every match contains a substring of each group, so a text lacking any one group cannot match:
    "launch|deploy … mission|observers" is searched only where both a verb and a noun occur.
    """
    flags = _GLOBAL_FLAGS.match(pattern)
    flag_letters = flags[1] if flags else ""
    if _UNREAD_FLAGS.intersection(flag_letters):
        return ()
    atoms = list(_top_level_atoms(pattern[flags.end() :] if flags else pattern))
    if any(kind == _ALTERNATIVE for kind, _ in atoms):
        return ()
    candidates: list[tuple[str, ...]] = []
    run = ""
    for index, (kind, text) in enumerate(atoms):
        quantified = index + 1 < len(atoms) and atoms[index + 1][0] == _QUANTIFIER
        if kind == _CHARACTER and not quantified:
            run += text
            continue
        candidates.append((run,))
        run = ""
        if kind == _GROUP and not quantified:
            candidates.append(_group_substrings(text))
    candidates.append((run,))
    usable = [candidate for candidate in candidates if candidate and all(candidate)]
    if "i" in flag_letters:
        usable = [
            tuple(substring.lower() for substring in candidate)
            for candidate in usable
            if all(substring.isascii() and _CASE_UNSAFE.isdisjoint(substring) for substring in candidate)
        ]
    # Best first; among equals the first read, as max() chose before groups were combined.
    ranked = sorted(dict.fromkeys(usable), key=lambda group: (min(map(len, group)), -len(group)), reverse=True)
    return tuple(ranked[:most])


class ShortcutPattern:
    """A compiled pattern searched only where the reading of its text says a match can be.

    Not at all in a text holding none of its required substrings; at line starts only when the
    pattern opens with ``^``.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)
        self._required = required_substrings(pattern)
        self._ignore_case = bool(self.pattern.flags & re.IGNORECASE)
        flags = _GLOBAL_FLAGS.match(pattern)
        body = pattern[flags.end() :] if flags else pattern
        self._anchored = body.startswith("^") and not any(kind == _ALTERNATIVE for kind, _ in _top_level_atoms(body))
        # With MULTILINE, ^ also matches after each "\n" (and after no other line break).
        self._multiline = bool(self.pattern.flags & re.MULTILINE)

    def blank(self, text: str) -> str:
        """``text`` with every match replaced by a space, exactly as ``pattern.sub(" ", text)``."""
        if self._required:
            searched = text.lower() if self._ignore_case else text
            if not any(substring in searched for substring in self._required):
                return text
        if not self._anchored:
            return self.pattern.sub(" ", text)
        pieces: list[str] = []
        end = 0
        for start in self._starts(text):
            if start < end:
                continue  # inside the previous match
            match = self.pattern.match(text, start)
            if match is None:
                continue
            if match.end() == start:
                return self.pattern.sub(" ", text)  # empty matches follow rules of their own: leave them to re
            pieces.append(text[end:start])
            end = match.end()
        if not pieces:
            return text
        pieces.append(text[end:])
        return " ".join(pieces)

    def _starts(self, text: str) -> Iterator[int]:
        yield 0
        if self._multiline:
            position = text.find("\n")
            while position >= 0:
                yield position + 1
                position = text.find("\n", position + 1)


def _group_substrings(group: str) -> tuple[str, ...]:
    """Substrings one of which every match of a group contains (lookarounds and named groups: none)."""
    opening = _PLAIN_GROUP.match(group)
    if opening is None or group[opening.end() : opening.end() + 1] == "?":
        return ()
    found: list[str] = []
    for alternative in _split_alternatives(group[opening.end() : -1]):
        substrings = required_substrings(alternative)
        if not substrings:
            return ()
        found.extend(substring for substring in substrings if substring not in found)
    return tuple(found)


def _split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern``."""
    alternatives, start, position = [], 0, 0
    while position < len(pattern):
        char = pattern[position]
        if char == "|":
            alternatives.append(pattern[start:position])
            start = position + 1
        position = _atom_end(pattern, position)
    alternatives.append(pattern[start:])
    return alternatives


def _top_level_atoms(pattern: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of each atom outside groups: a plain character, a group, a quantifier, "|" or other."""
    position = 0
    while position < len(pattern):
        char = pattern[position]
        end = _atom_end(pattern, position)
        if char == "\\":
            following = pattern[position + 1 : end]
            # An escaped non-alphanumeric character stands for itself; \b, \w, \d... do not.
            if len(following) == 1 and not following.isalnum():
                yield _CHARACTER, following
            else:
                yield _OTHER, ""
        elif char == "(":
            yield _GROUP, pattern[position:end]
        elif char in "?*+{":
            yield _QUANTIFIER, ""
        elif char == "|":
            yield _ALTERNATIVE, ""
        elif char in "[.^$)]":
            yield _OTHER, ""
        else:
            yield _CHARACTER, char
        position = end


def _atom_end(pattern: str, position: int) -> int:
    """Where the escape, class, group, quantifier or character starting at ``position`` ends."""
    char = pattern[position]
    if char == "\\":
        return _escape_end(pattern, position)
    if char == "[":
        return _class_end(pattern, position)
    if char == "(":
        return _group_end(pattern, position)
    if char == "{":
        # A "{" that opens no quantifier is a plain character; reading it as one only loses a substring.
        return pattern.find("}", position) + 1 or position + 1
    return position + 1


def _escape_end(pattern: str, position: int) -> int:
    # \xhh, \uhhhh, \Uhhhhhhhh, octal escapes and group references run on; \N{NAME} ends at its brace.
    code = pattern[position + 1 : position + 2]
    if code == "N":
        return pattern.find("}", position) + 1 or len(pattern)
    end = position + 2
    if code in ("x", "u", "U") or code.isdigit():
        while end < len(pattern) and pattern[end] in "0123456789abcdefABCDEF":
            end += 1
    return end


def _class_end(pattern: str, position: int) -> int:
    end = position + 1
    end += pattern.startswith("^", end)
    end += pattern.startswith("]", end)  # a "]" right after "[" or "[^" is a member
    while end < len(pattern):
        if pattern[end] == "\\":
            end += 2
        elif pattern[end] == "]":
            return end + 1
        else:
            end += 1
    return end


def _group_end(pattern: str, position: int) -> int:
    depth, end = 0, position
    while end < len(pattern):
        char = pattern[end]
        if char == "\\":
            end = _escape_end(pattern, end)
            continue
        if char == "[":
            end = _class_end(pattern, end)
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        end += 1
        if depth == 0:
            return end
    return end
