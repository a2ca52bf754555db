"""docs/RELIABILITY.md lists every checklist row, and every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "RELIABILITY.md").read_text(encoding="utf-8")
PREFIXES = {"rel/": "tests/reliability/", "pipe/": "tests/pipeline/", "plat/": "tests/platforms/", "": "tests/"}


def test_every_row_is_listed_once() -> None:
    rows = [int(n) for n in re.findall(r"^\| (\d+) \|", DOC, re.MULTILINE)]
    assert sorted(rows) == list(range(1, 67))


def test_every_named_test_exists() -> None:
    named = re.findall(r"`((?:rel/|pipe/|plat/)?[\w/]*test_\w+\.py)::(\w+)", DOC)
    assert len(named) > 60
    for path, name in named:
        prefix = next(p for p in ("rel/", "pipe/", "plat/", "") if path.startswith(p))
        source = (ROOT / (PREFIXES[prefix] + path[len(prefix) :])).read_text(encoding="utf-8")
        pattern = name.rstrip("_") if name.endswith("_") else name
        assert re.search(rf"def {pattern}", source), f"{path}::{name} not found"
    for path, _, names in re.findall(r"`((?:rel/|pipe/|plat/)?test_\w+\.py)::(\w+)`((?:, `\w+`)+)", DOC):
        prefix = next(p for p in ("rel/", "pipe/", "plat/", "") if path.startswith(p))
        source = (ROOT / (PREFIXES[prefix] + path[len(prefix) :])).read_text(encoding="utf-8")
        for extra in re.findall(r"`(\w+)`", names):
            assert f"def {extra}" in source, f"{path}::{extra} not found"
