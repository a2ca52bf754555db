"""Domain knowledge for tagging: countries, bodies, national institutions and relevance vocabulary.

Everything here is data loaded from the YAML files of this directory; country names in English,
Russian, French and Spanish are seeded from CLDR (babel) and ISO 3166 (pycountry) at load time, so
the files only add what those lack (demonyms, capitals, short forms, parliaments). Adding a
language or a body is a data change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry
import yaml
from babel import Locale

from bot.words import CYRILLIC, Lemmatiser, strip_accents

KNOWLEDGE_DIR = Path(__file__).resolve().parent


def languages(knowledge_dir: Path) -> tuple[str, ...]:
    """The supported languages: one relevance/<lang>.yaml each, English first (the fallback)."""
    found = sorted(p.stem for p in (knowledge_dir / "relevance").glob("*.yaml"))
    return tuple(sorted(found, key=lambda lang: lang != "en"))


LANGS = languages(KNOWLEDGE_DIR)
# Mention types of a country, from the most to the least direct.
NAME, DEMONYM, CAPITAL, INSTITUTION, SEAT = "name", "demonym", "capital", "institution", "seat"
_PAREN = re.compile(r"\s*\(([^)]*)\)")
MIN_UNACCENTED = 5


@dataclass(frozen=True)
class CountryAlias:
    """One way of naming a country in text; ``kind`` is NAME, DEMONYM, CAPITAL, INSTITUTION or SEAT."""

    alias: str
    code: str
    kind: str


@dataclass(frozen=True)
class BodyInfo:
    """A body: its label, parent, role ("electoral" or "general") and aliases in any language."""

    id: str
    label: str
    parent: str | None
    role: str
    aliases: tuple[str, ...]
    observing: str | None = None


@dataclass(frozen=True)
class NationalBody:
    """A national institution that identifies ``country``; ``body`` is its body tag, if any."""

    country: str
    body: str | None
    names: tuple[str, ...]


@dataclass(frozen=True)
class SharedName:
    """Names several bodies go by: the body is the choice whose family the item otherwise names, or,
    in an item naming a country of ``in_country``, that country's national body (CEI: Côte d'Ivoire's
    election commission), or, right after a word for observers, ``observers`` ("observadores de la CEI":
    the CIS's; an election commission sends none)."""

    names: tuple[str, ...]
    choices: tuple[str, ...]
    in_country: dict[str, str]
    observers: str | None = None


@dataclass(frozen=True)
class Homonym:
    """A country's name that is also a place inside ``place_in`` ("Georgia" in the US, "Armenia" in
    Colombia): next to a city or institution of ``place_in`` it names that place, not ``country``."""

    names: tuple[str, ...]
    country: str
    place_in: str


@dataclass
class Knowledge:
    """All tagging knowledge, plus lookups used by chat commands (resolve, labels, vocabulary)."""

    country_names: dict[str, str]
    country_aliases: list[CountryAlias]
    bodies: dict[str, BodyInfo]
    national: list[NationalBody]
    vocab: dict[str, dict[str, list[str]]]
    ambiguous: frozenset[str]
    langs: tuple[str, ...] = LANGS
    shared: list[SharedName] = field(default_factory=list)
    homonyms: list[Homonym] = field(default_factory=list)
    lemma: Callable[[str, str], str] | None = None
    _index: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, knowledge_dir: Path | None = None) -> Knowledge:
        """Read the YAML files of ``knowledge_dir`` (this package's directory by default)."""
        root = knowledge_dir or KNOWLEDGE_DIR
        cdata = _read(root / "countries.yaml")
        langs = languages(root) or LANGS
        names, aliases = _seed_countries(langs)
        for code, extra in (cdata.get("countries") or {}).items():
            _check_country_code(code, "countries.yaml")
            for key, kind in (("names", NAME), ("demonyms", DEMONYM), ("capitals", CAPITAL)):
                aliases.extend(CountryAlias(a, code, kind) for a in extra.get(key) or [])
        aliases.extend(CountryAlias(a, "", SEAT) for a in cdata.get("seats") or [])
        aliases.extend(_english_plurals(aliases))
        aliases.extend(_french_inflections(aliases))
        aliases.extend(_unaccented(aliases, {str(x).casefold() for x in cdata.get("not_unaccented") or []}))
        bodies = {}
        bdata = _read(root / "bodies.yaml")
        for bid, b in (bdata.get("bodies") or {}).items():
            all_aliases = [a for lang_aliases in (b.get("aliases") or {}).values() for a in lang_aliases or []]
            label, parent, role = b.get("label", bid), b.get("parent"), b.get("role", "general")
            bodies[bid] = BodyInfo(bid, label, parent, role, tuple(all_aliases), b.get("observing"))
        national = [
            NationalBody(_check_country_code(n["country"], "national.yaml"), n.get("body"), tuple(n["names"]))
            for n in _read(root / "national.yaml").get("national") or []
        ]
        vocab = {}
        for path in sorted((root / "relevance").glob("*.yaml")):
            vocab[path.stem] = {k: [str(x) for x in v or []] for k, v in _read(path).items()}
        shared = [
            SharedName(
                tuple(s["names"]),
                tuple(s["choices"]),
                {
                    _check_country_code(str(code), "bodies.yaml"): str(body)
                    for code, body in (s.get("in_country") or {}).items()
                },
                s.get("observers"),
            )
            for s in bdata.get("shared") or []
        ]
        homonyms = [
            Homonym(
                tuple(str(name) for name in h["names"]),
                _check_country_code(str(h["country"]), "countries.yaml"),
                _check_country_code(str(h["place_in"]), "countries.yaml"),
            )
            for h in cdata.get("homonyms") or []
        ]
        kn = cls(
            names, aliases, bodies, national, vocab, frozenset(cdata.get("ambiguous") or []), langs, shared, homonyms
        )
        kn._build_index()
        return kn

    @property
    def body_parents(self) -> dict[str, str | None]:
        """Body id → parent id (None for top-level bodies)."""
        return {bid: b.parent for bid, b in self.bodies.items()}

    def _build_index(self) -> None:
        # Exact (case-folded) names first; lemma lookups are tried by resolve_* when these miss.
        for code in self.country_names:
            self._index.setdefault(code.casefold(), ("country", code))
        for a in self.country_aliases:
            if a.code:
                self._index.setdefault(a.alias.casefold(), ("country", a.code))
        for bid, b in self.bodies.items():
            self._index.setdefault(bid, ("body", bid))
            self._index.setdefault(b.label.casefold(), ("body", bid))
            for alias in b.aliases:
                self._index.setdefault(alias.casefold(), ("body", bid))
        for n in self.national:
            for name in n.names:
                if n.body:
                    self._index.setdefault(name.casefold(), ("body", n.body))
        # Also index the alias with punctuation normalised ("OSCE / ODIHR" → "osce odihr").
        for key, value in list(self._index.items()):
            self._index.setdefault(_plain(key), value)

    def _lookup(self, term: str, kind: str) -> str | None:
        found = self._lookup_exact(term.strip(), kind)
        words = term.split()
        # "au Sénégal", "в Казахстане", "el Perú": a leading preposition or article is not a name.
        if found is None and len(words) > 1:
            found = self._lookup_exact(" ".join(words[1:]), kind)
        return found

    def _lookup_exact(self, term: str, kind: str) -> str | None:
        for key in (term.casefold(), _plain(term.casefold())):
            hit = self._index.get(key)
            if hit and hit[0] == kind:
                return hit[1]
        if self.lemma is None:
            # Knowledge loaded without a Tagger: lemmatise with a private cache.
            self.lemma = Lemmatiser()
        words = re.findall(r"[^\W_]+", term)
        for lang in self.langs:
            key = " ".join(self.lemma(w, lang) for w in words)
            hit = self._index.get(key) or self._lemma_index(lang).get(key)
            if hit and hit[0] == kind:
                return hit[1]
        return None

    def _lemma_index(self, lang: str) -> dict[str, tuple[str, str]]:
        cache: dict[str, dict[str, tuple[str, str]]] = self.__dict__.setdefault("_lemma_cache", {})
        if lang not in cache and self.lemma is not None:
            lemma = self.lemma
            cache[lang] = {
                " ".join(lemma(w, lang) for w in re.findall(r"[^\W_]+", k)): v for k, v in self._index.items()
            }
        return cache.get(lang, {})

    def resolve_country(self, term: str) -> str | None:
        """A country name, demonym, capital or code in any supported language (any case form) → ISO code."""
        return self._lookup(term, "country")

    def resolve_body(self, term: str) -> str | None:
        """A body's id, name, acronym or alias in any supported language → body id."""
        return self._lookup(term, "body")

    def country_label(self, code: str) -> str:
        """``KZ`` → ``🇰🇿 Kazakhstan`` (the code itself when unknown)."""
        name = self.country_names.get(code.upper())
        if name is None:
            return code
        flag = "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in code.upper())
        return f"{flag} {name}"

    def body_label(self, body_id: str) -> str:
        """``osce-odihr`` → ``OSCE/ODIHR`` (the id itself when unknown)."""
        body = self.bodies.get(body_id)
        return body.label if body else body_id

    def vocabulary(self) -> list[str]:
        """Every country and body name, for fuzzy "did you mean" suggestions."""
        seen: dict[str, None] = {}
        for a in self.country_aliases:
            if a.code:
                seen.setdefault(a.alias)
        for b in self.bodies.values():
            seen.setdefault(b.label)
            for alias in b.aliases:
                seen.setdefault(alias)
        for n in self.national:
            for name in n.names:
                seen.setdefault(name)
        return list(seen)

    def body_aliases(self) -> Iterator[tuple[str, str, str]]:
        """(alias, body id, country) for every body alias; country is "" for international bodies."""
        for bid, b in self.bodies.items():
            for alias in b.aliases:
                yield alias, bid, ""
        for n in self.national:
            for name in n.names:
                yield name, n.body or "", n.country


def _check_country_code(code: object, source: str) -> str:
    # YAML reads an unquoted NO (Norway) as false: every code must stay a two-letter string.
    if not (isinstance(code, str) and len(code) == 2 and code.isupper()):
        raise ValueError(f'{source}: {code!r} is not an ISO 3166-1 alpha-2 code (quote NO as "NO")')
    return code


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text))


# Country names differ between a language's regions ("Roménia" in Portugal and Africa, "Romênia" in
# Brazil; "Irão", "Quénia"): the regional names are read too.
REGIONAL_INDICATOR_A = 0x1F1E6
REGIONAL_LOCALES = {"pt": ("pt_PT",), "es": ("es_419",)}


def _seed_countries(langs: tuple[str, ...]) -> tuple[dict[str, str], list[CountryAlias]]:
    """English labels and names in every language for every ISO 3166-1 country, from CLDR and ISO."""
    # Sorted: when two locales spell a name alike but for case, the first one read is kept.
    name_locales = sorted({*langs, *(regional for lang in langs for regional in REGIONAL_LOCALES.get(lang, ()))})
    territories = {locale: Locale.parse(locale).territories for locale in {"en", *name_locales}}
    labels: dict[str, str] = {}
    aliases: list[CountryAlias] = []
    # A country's own name outranks a name in another's parentheses: "RAE de Hong Kong (China)"
    # does not make "China" shared.
    owners: dict[str, set[str]] = {}
    owners_in_parentheses: dict[str, set[str]] = {}
    per_code: dict[str, list[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        raw = [territories[locale].get(code) for locale in name_locales]
        raw += [getattr(country, attr, None) for attr in ("name", "official_name", "common_name")]
        labels[code] = territories["en"].get(code) or country.name
        for name in raw:
            for variant, in_parentheses in _variants(name):
                (owners_in_parentheses if in_parentheses else owners).setdefault(variant.casefold(), set()).add(code)
                per_code.setdefault(code, []).append(variant)
    for code, variants in per_code.items():
        aliases.append(CountryAlias(flag(code), code, NAME))
        seen: set[str] = set()
        for variant in variants:
            key = variant.casefold()
            # A short form shared by two countries ("Korea", "Congo") names neither.
            if key not in seen and (owners.get(key) or owners_in_parentheses[key]) == {code}:
                seen.add(key)
                aliases.append(CountryAlias(variant, code, NAME))
    return labels, aliases


def flag(code: str) -> str:
    """The flag emoji of a country: its two letters as regional indicator symbols ("BR" → "🇧🇷")."""
    return "".join(chr(REGIONAL_INDICATOR_A + ord(letter) - ord("A")) for letter in code.upper())


def _english_plurals(aliases: list[CountryAlias]) -> list[CountryAlias]:
    """English demonyms as nouns for people ("Romanians", "Kazakhs", "Iraqis"): the lemmatiser leaves
    capitalised words as they are."""
    taken = {a.alias.casefold() for a in aliases}
    out = []
    for a in aliases:
        word = a.alias
        if (
            a.kind == DEMONYM
            and word[:1].isupper()
            and word.isascii()
            and word.isalpha()
            # Romanian, Iraqi, Kazakh, Uzbek take an "s"; Dutch, Swiss and Chinese do not.
            and word[-1] in "nikh"
            and not word.endswith(("ch", "sh"))
            and f"{word}s".casefold() not in taken
        ):
            taken.add(f"{word}s".casefold())
            out.append(CountryAlias(f"{word}s", a.code, DEMONYM))
    return out


# French demonym endings and the feminine and plural endings added to them ("hongrois" → "hongroise",
# "hongroises"; "kényan" → "kényane"; "ivoirien" → "ivoirienne"): the lemmatiser knows some of these forms only.
_FRENCH_DEMONYM_ENDINGS = {
    "ois": ("e", "es"),
    "ais": ("e", "es"),
    "ien": ("ne", "nes", "s"),
    "ain": ("e", "es", "s"),
    "an": ("e", "es", "s"),
}


def _french_inflections(aliases: list[CountryAlias]) -> list[CountryAlias]:
    """The feminine and plural forms of French demonyms (written in lower case, as French writes them)."""
    taken = {a.alias.casefold() for a in aliases}
    out = []
    for a in aliases:
        word = a.alias
        if a.kind != DEMONYM or not word.islower() or not word.isalpha() or CYRILLIC.search(word):
            continue
        for ending, additions in _FRENCH_DEMONYM_ENDINGS.items():
            if word.endswith(ending):
                for form in (word + addition for addition in additions):
                    if form not in taken:
                        taken.add(form)
                        out.append(CountryAlias(form, a.code, DEMONYM))
                break
    return out


def _unaccented(aliases: list[CountryAlias], exceptions: set[str]) -> list[CountryAlias]:
    """The Latin-script aliases once more without their accents, as feeds often write them ("Cote
    d'Ivoire", "Bogota", "Sao Tome"), unless that spelling already names something, is an exception
    or is short enough to be a common word ("Seul", "Male")."""
    taken = {a.alias.casefold() for a in aliases} | exceptions
    out = []
    for a in aliases:
        if CYRILLIC.search(a.alias):
            continue
        plain = strip_accents(a.alias)
        if len(plain) >= MIN_UNACCENTED and plain.casefold() not in taken:
            taken.add(plain.casefold())
            out.append(CountryAlias(plain, a.code, a.kind))
    return out


def _variants(name: str | None) -> list[tuple[str, bool]]:
    """'Myanmar (Burma)' → Myanmar, Burma; 'Bosnia & Herzegovina' → ... and ...; 'Iran, Islamic Republic of' → Iran.

    Each variant comes with whether it was written in parentheses.
    """
    if not name:
        return []
    out = []
    inner = _PAREN.findall(name)
    base = _PAREN.sub("", name).strip()
    if "," in base:
        head, _, tail = base.partition(",")
        base = head.strip()
        # "Korea, Republic of" → "Republic of Korea" (the inverted ISO form is how text says it)
        if tail.strip().endswith(" of"):
            out.append((f"{tail.strip()} {base}", False))
    out.append((base, False))
    out.extend((i.strip(), True) for i in inner if len(i.strip()) > 3)
    if "&" in base:
        out.append((base.replace("&", "and"), False))
    return [(o.replace("’", "'"), in_parentheses) for o, in_parentheses in out if o]
