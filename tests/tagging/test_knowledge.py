"""The Knowledge lookups used by chat commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import Knowledge
from bot.pipeline.tag import Tagger
from bot.pipeline.tag.text import alias_tokens


@pytest.fixture(scope="module")
def knowledge(tagger: Tagger) -> Knowledge:
    return tagger.knowledge


@pytest.mark.parametrize(
    ("term", "code"),
    [
        ("Kazakhstan", "KZ"),
        ("Казахстан", "KZ"),
        ("kazakh", "KZ"),
        ("KZ", "KZ"),
        ("Казахстане", "KZ"),
        ("Кыргызстана", "KG"),
        ("au Sénégal", "SN"),
        ("el Perú", "PE"),
        ("Georgian", "GE"),
        ("Astana", "KZ"),
        ("Norway", "NO"),
        ("Lima", "PE"),
        ("Turkey", "TR"),
        # A country's own name, not the one in another's parentheses ("RAE de Hong Kong (China)").
        ("China", "CN"),
        ("Hong Kong", "HK"),
        # Accented names written without their accents.
        ("Cote d'Ivoire", "CI"),
        ("Sao Tome", "ST"),
        ("Bogota", "CO"),
        ("Republica Dominicana", "DO"),
    ],
)
def test_resolve_country(knowledge: Knowledge, term: str, code: str) -> None:
    assert knowledge.resolve_country(term) == code


@pytest.mark.parametrize(
    ("term", "body"),
    [
        ("odihr", "osce-odihr"),
        ("OSCE/ODIHR", "osce-odihr"),
        ("БДИПЧ", "osce-odihr"),
        ("pace", "pace"),
        ("ПАСЕ", "pace"),
        ("cec", "election-commission"),
        ("ЦИК", "election-commission"),
        ("СНГ", "cis"),
        ("ISFED", "citizen-observers"),
    ],
)
def test_resolve_body(knowledge: Knowledge, term: str, body: str) -> None:
    assert knowledge.resolve_body(term) == body


def test_unknown_terms(knowledge: Knowledge) -> None:
    assert knowledge.resolve_country("Atlantis") is None
    # Unaccented spellings that are common words or other places stay unknown.
    assert knowledge.resolve_country("Seul") is None
    assert knowledge.resolve_country("San Jose") is None
    assert knowledge.resolve_body("nonsense") is None


def test_labels_and_vocabulary(knowledge: Knowledge) -> None:
    assert knowledge.country_label("KZ") == "🇰🇿 Kazakhstan"
    assert knowledge.body_label("osce-odihr") == "OSCE/ODIHR"
    assert knowledge.body_parents["osce-pa"] == "osce"
    vocabulary = knowledge.vocabulary()
    assert "Kazakhstan" in vocabulary
    assert "ODIHR" in vocabulary
    # Every UN member is known, seeded from CLDR rather than typed by hand.
    assert len({a.code for a in knowledge.country_aliases if a.code}) >= 193


def test_every_tag_has_evidence(tagger: Tagger) -> None:
    tags = tagger.tag(
        "ODIHR opens election observation mission in Kazakhstan",
        "ASTANA – The OSCE/ODIHR mission met the Central Election Commission.",
        "en",
    )
    tagged = {"relevant"} | {f"country:{c}" for c in tags.countries} | {f"body:{b}" for b in tags.bodies}
    assert tagged <= {e.tag for e in tags.evidence}
    assert all(e.span and e.rule for e in tags.evidence)


def test_every_country_code_of_the_knowledge_is_a_two_letter_string(tagger: Tagger) -> None:
    tags = tagger.tag("Norway votes", "The Norwegian election commission counts the vote in Oslo.", "en")
    assert tags.countries == ("NO",)
    codes = {alias.code for alias in tagger.knowledge.country_aliases if alias.code}
    codes |= {national.country for national in tagger.knowledge.national}
    assert all(isinstance(code, str) and len(code) == 2 for code in codes)


def test_an_unquoted_no_in_the_knowledge_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "countries.yaml").write_text("countries:\n  NO: {capitals: [Oslo]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="alpha-2"):
        Knowledge.load(tmp_path)


def test_no_internal_vote_word_shares_its_dictionary_form_with_an_election_word(tagger: Tagger) -> None:
    # "boxing" and "ballot boxes" meet at "box": a sport named as an internal vote would make every
    # item that counts ballot boxes a club's vote.
    lemma = tagger.lemmatiser
    clashes = []
    for lang, vocabulary in tagger.knowledge.vocab.items():
        electoral = {
            lemma(word, lang)
            for kind in ("election", "vote", "observe", "candidacy", "outcome")
            for term in vocabulary.get(kind, [])
            for word in alias_tokens(term)
        }
        clashes += [
            (lang, term)
            for term in vocabulary.get("internal", [])
            if len(alias_tokens(term)) == 1 and lemma(alias_tokens(term)[0], lang) in electoral
        ]
    assert clashes == []
