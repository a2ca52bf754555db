"""One tagging case per YAML file in tests/data/tagging; a failure names its file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.pipeline.tag import Tagger

CASES = Path(__file__).resolve().parents[1] / "data" / "tagging"
FILES = sorted(CASES.glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_case(path: Path, tagger: Tagger) -> None:
    case = _load(path)
    tags = tagger.tag(case.get("title", ""), case.get("text", ""), case.get("lang"))
    expect = case["expect"]
    got = {"relevant": tags.relevant, "countries": sorted(tags.countries), "bodies": sorted(tags.bodies)}
    want = {"relevant": expect["relevant"]}
    if expect["relevant"]:
        # Countries and bodies are specified for relevant items (that is where they matter).
        want["countries"] = sorted(expect.get("countries", []))
        want["bodies"] = sorted(expect.get("bodies", []))
    assert {k: got[k] for k in want} == want, f"{path.name}: evidence {tags.evidence}"


def test_every_trap_in_every_language() -> None:
    langs = {"en", "ru", "fr", "es"}
    traps = {
        "acronym clash": ("-acronym-",),
        "observation in another sense": ("-observation-",),
        "international work not about elections": ("-osce-", "-oea-", "-un-"),
        "observer nationality": ("-nationality-",),
        "seat of a body": ("-seat-",),
        "inflected forms": ("-inflected-",),
        "demonym or capital": ("-demonym-", "-capital-"),
    }
    for trap, markers in traps.items():
        covered = {p.stem.split("-")[0] for p in FILES if any(m in p.stem for m in markers)}
        assert covered >= langs, f"{trap}: missing {langs - covered}"
