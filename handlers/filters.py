"""Reading a subscription filter from what a user typed: countries, bodies, "keyword phrases", all, -exclusions."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from bot.errors import UserError
from bot.models import Filter, Term
from handlers.types import KnowledgeLike

MAX_TERMS = 10
MAX_KEYWORD = 100
# Names of up to this many words are tried as one term ("South Africa", "Central Election Commission").
MAX_NAME_WORDS = 4
_TOKENS = re.compile(r'(-?)(?:["“”«»„]([^"“”«»„]*)["“”«»„]|(\S+))')


def _tokens(text: str) -> list[tuple[bool, str, bool]]:
    """(negated, text, quoted) for each term."""
    tokens = []
    for match in _TOKENS.finditer(text):
        minus, quoted, bare = match.groups()
        tokens.append((bool(minus), quoted if quoted is not None else bare, quoted is not None))
    return tokens


def suggestions(term: str, knowledge: KnowledgeLike, limit: int = 3) -> list[str]:
    """Known names close to an unknown term."""
    found = process.extract(term, knowledge.vocabulary(), scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
    return list(dict.fromkeys(name for name, _, _ in found))


def _resolve(words: list[str], knowledge: KnowledgeLike) -> Term | None:
    text = " ".join(words)
    if text.casefold() == "all":
        return Term("all", "all")
    country = knowledge.resolve_country(text)
    if country:
        return Term("country", country)
    body = knowledge.resolve_body(text)
    if body:
        return Term("body", body)
    return None


def parse_filter(text: str, knowledge: KnowledgeLike) -> Filter:
    """Read terms; raise UserError naming the first unknown term, with suggestions."""
    tokens = _tokens(text.strip())
    if not tokens:
        raise UserError(
            'Say what to follow, e.g. /subscribe Kazakhstan odihr, /subscribe all, /subscribe "early elections"'
        )
    terms: list[Term] = []
    index = 0
    while index < len(tokens):
        negated, word, quoted = tokens[index]
        if quoted:
            phrase = " ".join(word.split())
            if not 2 <= len(phrase) <= MAX_KEYWORD:
                raise UserError(f"A keyword phrase needs 2 to {MAX_KEYWORD} characters.")
            terms.append(Term("keyword", phrase, negated))
            index += 1
            continue
        resolved = None
        for size in range(min(MAX_NAME_WORDS, len(tokens) - index), 0, -1):
            group = tokens[index : index + size]
            if any(token[2] for token in group) or any(token[0] for token in group[1:]):
                continue
            resolved = _resolve([token[1] for token in group], knowledge)
            if resolved:
                terms.append(Term(resolved.kind, resolved.value, negated))
                index += size
                break
        if resolved:
            continue
        if negated and len(word) >= 2:
            # "-referendum": an exclusion that names no country or body is read as a keyword.
            terms.append(Term("keyword", word, True))
            index += 1
            continue
        hint = suggestions(word, knowledge)
        message = f"I don't know “{word}”."
        if hint:
            message += " Did you mean " + " or ".join(hint) + "?"
        message += ' Use a country, a body (odihr, pace, cec…), all, or a "quoted phrase".'
        raise UserError(message)
    if len(terms) > MAX_TERMS:
        raise UserError(f"A filter can have at most {MAX_TERMS} terms.")
    if all(term.negated for term in terms):
        raise UserError("A filter needs at least one term to follow, not only exclusions (e.g. all -referendum).")
    if any(term.kind == "all" for term in terms) and len(terms) > 1:
        terms = [term for term in terms if term.kind != "all" or term.negated]
    return Filter(tuple(dict.fromkeys(terms)))


def describe_filter(filter_: Filter, knowledge: KnowledgeLike) -> str:
    """Readable form: 🇰🇿 Kazakhstan + OSCE/ODIHR − "referendum"."""
    parts = []
    for term in filter_.terms:
        if term.kind == "country":
            label = knowledge.country_label(term.value)
        elif term.kind == "body":
            label = knowledge.body_label(term.value)
        elif term.kind == "keyword":
            label = f"“{term.value}”"
        else:
            label = "all relevant stories"
        parts.append(f"not {label}" if term.negated else label)
    return " + ".join(parts)
