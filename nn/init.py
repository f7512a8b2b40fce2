"""Weight initialisation: where the random numbers come from."""

from __future__ import annotations

import numpy as np

__all__ = ["SeedLike", "make_rng"]

SeedLike = int | np.random.Generator | None


def make_rng(seed: SeedLike = None) -> np.random.Generator:
    """A numpy Generator from an int seed (reproducible), a Generator (as is) or None (fresh)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")
