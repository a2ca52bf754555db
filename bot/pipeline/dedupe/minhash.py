"""MinHash signatures over word shingles, and LSH band keys that SQLite can index.

A small numpy implementation rather than datasketch's ``MinHash``: the signature is one vectorised
expression over all shingles at once (about 20 µs for a title and lead), and the band keys are
plain 63-bit integers so the LSH index lives in an indexed SQLite column instead of memory
(performance notes B.4: datasketch's in-memory LSH costs ~8 KB per stored item).
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np
import numpy.typing as npt

# 64 permutations in 16 bands of 4 rows: two texts become candidates when one band agrees, which
# happens with probability 1 - (1 - J^4)^16: 0.9 at Jaccard 0.6, 0.5 at 0.45, 0.06 at 0.25.
# Candidates are then confirmed on the estimated Jaccard, so the bands only decide who is looked at.
PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
SHINGLE_WORDS = 3

_rng = np.random.default_rng(20240917)  # fixed seed: signatures must be stable across processes
# Full 64-bit odd multipliers: the product of a 32-bit hash with one wraps around 2^64, which is what
# mixes the bits. With multipliers below 2^32 the product never wraps, every "permutation" keeps the
# order of the hashes, and all of them pick the same shingle.
_A = _rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
_SHIFT = np.uint64(32)
_MASK_63 = (1 << 63) - 1

Signature = npt.NDArray[np.uint32]


def shingles(words: list[str]) -> set[str]:
    """Word 3-grams; a text shorter than that is one shingle."""
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    # The shifted copies are shorter: zip stops at the last complete shingle.
    return set(map(" ".join, zip(*(words[offset:] for offset in range(SHINGLE_WORDS)), strict=False)))


def signature(shingle_set: set[str]) -> Signature:
    """The MinHash signature: per permutation, the least hash over the shingles."""
    if not shingle_set:
        return np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint32)
    hashes = np.array([zlib.crc32(s.encode()) for s in shingle_set], dtype=np.uint64)
    # Multiply-shift hashing: (a*h + b) mod 2^64, top 32 bits; a family of independent-enough
    # permutations of 32-bit values, computed for all shingles and permutations in one step
    # (in place after the product: no temporary array per operation).
    permuted = np.multiply.outer(hashes, _A)
    permuted += _B
    permuted >>= _SHIFT
    result: Signature = permuted.min(axis=0).astype(np.uint32)
    return result


def band_keys(sig: Signature) -> tuple[int, ...]:
    """One signed-63-bit key per band (the band index is hashed in, so bands never collide)."""
    rows = sig.reshape(BANDS, ROWS)
    keys = []
    for band in range(BANDS):
        digest = hashlib.blake2b(rows[band].tobytes(), digest_size=8, salt=band.to_bytes(8, "little")).digest()
        keys.append(int.from_bytes(digest, "little") & _MASK_63)
    return tuple(keys)


def similarity(left: Signature, right: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(left == right)) / PERMUTATIONS


def to_bytes(sig: Signature) -> bytes:
    """Compact storage form (256 bytes)."""
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> Signature:
    """Inverse of :func:`to_bytes`."""
    result: Signature = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    return result
