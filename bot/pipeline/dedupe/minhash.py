"""MinHash signatures over word shingles, and LSH band keys that SQLite can index.

A small numpy implementation rather than datasketch's ``MinHash``: the signature is one vectorised
expression over all shingles at once (about 20 µs for a title and lead), and the band keys are
plain 63-bit integers so the LSH index lives in an indexed SQLite column instead of memory
(performance notes B.4: datasketch's in-memory LSH costs ~8 KB per stored item).

A signature is one Python int holding the 64 minima as 32-bit lanes, little-endian. Only computing
one needs numpy, and it is imported there: the process that stores and compares items never maps
numpy (about 20 MB of resident memory), and comparing two ints lane by lane with a few big-integer
operations takes half the time numpy's element-wise test does on arrays this small.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# 64 permutations in 16 bands of 4 rows: two texts become candidates when one band agrees, which
# happens with probability 1 - (1 - J^4)^16: 0.9 at Jaccard 0.6, 0.5 at 0.45, 0.06 at 0.25.
# Candidates are then confirmed on the estimated Jaccard, so the bands only decide who is looked at.
PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
SHINGLE_WORDS = 3

LANE_BYTES = 4
SIGNATURE_BYTES = PERMUTATIONS * LANE_BYTES
_MASK_63 = (1 << 63) - 1
# Per lane: the low 31 bits set, and the top bit alone (see similarity()).
_LANE_LOW_BITS = int.from_bytes(b"\xff\xff\xff\x7f" * PERMUTATIONS, "little")
_LANE_TOP_BIT = int.from_bytes(b"\x00\x00\x00\x80" * PERMUTATIONS, "little")

Signature = int
EMPTY_SIGNATURE: Signature = int.from_bytes(b"\xff" * SIGNATURE_BYTES, "little")


@functools.cache
def _permutations() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    import numpy as np

    rng = np.random.default_rng(20240917)  # fixed seed: signatures must be stable across processes
    # Full 64-bit odd multipliers: the product of a 32-bit hash with one wraps around 2^64, which is
    # what mixes the bits. With multipliers below 2^32 the product never wraps, every "permutation"
    # keeps the order of the hashes, and all of them pick the same shingle.
    multipliers = rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    offsets = rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
    return multipliers, offsets


def shingles(words: list[str]) -> set[str]:
    """Word 3-grams; a text shorter than that is one shingle."""
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    # The shifted copies are shorter: zip stops at the last complete shingle.
    return set(map(" ".join, zip(*(words[offset:] for offset in range(SHINGLE_WORDS)), strict=False)))


def signature(shingle_set: set[str]) -> Signature:
    """The MinHash signature: per permutation, the least hash over the shingles."""
    if not shingle_set:
        return EMPTY_SIGNATURE
    import numpy as np

    multipliers, offsets = _permutations()
    hashes = np.array([zlib.crc32(s.encode()) for s in shingle_set], dtype=np.uint64)
    # Multiply-shift hashing: (a*h + b) mod 2^64, top 32 bits; a family of independent-enough
    # permutations of 32-bit values, computed for all shingles and permutations in one step
    # (in place after the product: no temporary array per operation).
    permuted = np.multiply.outer(hashes, multipliers)
    permuted += offsets
    permuted >>= np.uint64(32)
    return from_bytes(permuted.min(axis=0).astype("<u4").tobytes())


def band_keys(sig: Signature) -> tuple[int, ...]:
    """One signed-63-bit key per band (the band index is hashed in, so bands never collide)."""
    data = to_bytes(sig)
    width = ROWS * LANE_BYTES
    keys = []
    for band in range(BANDS):
        rows = data[band * width : (band + 1) * width]
        digest = hashlib.blake2b(rows, digest_size=8, salt=band.to_bytes(8, "little")).digest()
        keys.append(int.from_bytes(digest, "little") & _MASK_63)
    return tuple(keys)


def similarity(left: Signature, right: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets: the share of equal lanes."""
    differ = left ^ right
    # In each lane, adding 0x7FFFFFFF to the low 31 bits sets the top bit unless they are all zero
    # (and never carries into the next lane); with the lane's own top bit, that marks a lane that differs.
    differing = (((differ & _LANE_LOW_BITS) + _LANE_LOW_BITS) | differ) & _LANE_TOP_BIT
    return (PERMUTATIONS - differing.bit_count()) / PERMUTATIONS


def to_bytes(sig: Signature) -> bytes:
    """Compact storage form (256 bytes, the lanes as little-endian uint32)."""
    return sig.to_bytes(SIGNATURE_BYTES, "little")


def from_bytes(data: bytes) -> Signature:
    """Inverse of :func:`to_bytes`."""
    return int.from_bytes(data, "little")
