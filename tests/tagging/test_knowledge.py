"""The Knowledge lookups used by chat commands."""

from __future__ import annotations

import pytest

from bot.knowledge import Knowledge
from bot.pipeline.tag import Tagger


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
