"""A tagger shared by the tagging tests: building it loads lemma dictionaries (seconds)."""

from __future__ import annotations

import pytest

from bot.pipeline.tag import Tagger


@pytest.fixture(scope="session")
def tagger() -> Tagger:
    return Tagger.load()
