"""Where the random numbers come from: one seedable global generator, and seeds made explicit.

``set_random_seed(42)`` makes every later initializer, ``Dropout`` and shuffle reproducible, as
``keras.utils.set_random_seed`` does; a layer or initializer given its own ``seed`` ignores it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeedLike", "global_rng", "make_rng", "set_random_seed"]

SeedLike = int | np.random.Generator | None

_global = np.random.default_rng()


def make_rng(seed: SeedLike = None) -> np.random.Generator:
    """A numpy Generator from an int seed (reproducible), a Generator (as is) or None (fresh)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")


def set_random_seed(seed: int) -> None:
    """Seed the global generator that unseeded initializers, dropout masks and shuffles use."""
    global _global
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_random_seed: seed must be an int, got {seed!r}")
    _global = np.random.default_rng(seed)


def global_rng() -> np.random.Generator:
    """The global generator (seeded by ``set_random_seed``, else from the operating system)."""
    return _global
