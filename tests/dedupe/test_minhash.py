"""MinHash signatures as packed integers: lane-wise similarity, a stable stored form, no numpy to compare."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest

from bot.pipeline.dedupe import minhash


def packed(lanes: list[int]) -> minhash.Signature:
    return minhash.from_bytes(struct.pack(f"<{minhash.PERMUTATIONS}I", *lanes))


BASE = [(index * 2_654_435_761) & 0xFFFFFFFF for index in range(minhash.PERMUTATIONS)]


@pytest.mark.parametrize(
    ("changed", "new_value", "equal_lanes"),
    [
        ([], None, 64),
        ([0], 0x80000000, 63),  # only the top bit of a lane differs
        ([5, 63], 1, 62),  # the lowest bit differs in the last lane
        ([3], 0, 63),  # a lane of zero against a non-zero lane
        (list(range(0, 64, 2)), 0xFFFFFFFF, 32),
        (list(range(64)), 0x7FFFFFFF, 0),
    ],
)
def test_similarity_is_the_share_of_equal_lanes(changed: list[int], new_value: int | None, equal_lanes: int) -> None:
    other = list(BASE)
    for lane in changed:
        other[lane] = new_value if other[lane] != new_value else new_value ^ 1  # type: ignore[operator]
    assert sum(a == b for a, b in zip(BASE, other, strict=True)) == equal_lanes
    assert minhash.similarity(packed(BASE), packed(other)) == equal_lanes / minhash.PERMUTATIONS
    assert minhash.similarity(packed(other), packed(BASE)) == equal_lanes / minhash.PERMUTATIONS


def test_stored_form_and_band_keys_are_stable() -> None:
    # Band keys index the stored items: a change here would leave every stored item unfindable.
    sig = minhash.signature(minhash.shingles("the central election commission published results".split()))
    assert minhash.to_bytes(sig)[:8].hex() == "94ec482b641b3e1a"
    assert len(minhash.to_bytes(sig)) == 256
    assert minhash.from_bytes(minhash.to_bytes(sig)) == sig
    assert minhash.band_keys(sig)[:3] == (7671642751100221594, 450715205087347005, 6524789074966980426)
    assert minhash.signature(set()) == packed([0xFFFFFFFF] * minhash.PERMUTATIONS)


def test_similar_texts_share_lanes_and_unrelated_ones_few() -> None:
    words = "observers from the osce office arrived in almaty ahead of the parliamentary vote".split()
    near = [*words[:-1], "election"]
    unrelated = "the football club signed a new striker for the coming season in madrid".split()
    sig = minhash.signature(minhash.shingles(words))
    assert minhash.similarity(sig, minhash.signature(minhash.shingles(near))) >= 0.6
    assert minhash.similarity(sig, minhash.signature(minhash.shingles(unrelated))) <= 0.1


def test_the_storing_process_does_not_load_numpy() -> None:
    # The main process stores and compares signatures; only the preparing workers compute them.
    code = (
        "import sys, bot.cli, bot.app\n"
        "from bot.pipeline.dedupe import decide, minhash\n"
        "a = minhash.from_bytes(bytes(256)); assert minhash.similarity(a, a) == 1.0\n"
        "print('numpy' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
