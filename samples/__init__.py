"""Sample deliveries, one generator per declared source system (``python -m samples generate --system sales``).

A generator is a module here with ``generate(out_dir, *, scale, seed, **options) -> {table: path}``
that writes the files of one delivery in the shape its system's declaration gives (field names and
order from the sources YAML, reference data from ``seeds/``). It shares no code with landing,
so a test that lands its files checks the two against each other.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

# Source system -> the module holding its generator.
GENERATORS = {"sales": "samples.sales"}


def generator(system: str) -> Callable[..., dict[str, Path]]:
    """The ``generate`` function of ``system``'s sample generator."""
    if system not in GENERATORS:
        raise KeyError(f"no sample generator for source system '{system}' (there are: {', '.join(sorted(GENERATORS))})")
    return importlib.import_module(GENERATORS[system]).generate
