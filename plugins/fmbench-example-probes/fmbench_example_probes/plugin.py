"""The module fmbench loads (entry point group ``fmbench``): it only declares records.

Nothing heavy is imported here: the probe functions are referenced as ``"module:attr"``
strings, so ``fmbench plugins list`` does not import numpy code of this plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import fmbench

_P = "fmbench_example_probes.probes:"


@fmbench.hookimpl
def fmbench_probes() -> Iterator[fmbench.ProbeSpec]:
    yield fmbench.ProbeSpec(
        name="acme_gain",
        summary="multiply the signal by (1 + level): an amplifier gain error",
        levels=(0.0, 0.1, 0.25, 0.5, 1.0),
        perturb=_P + "gain",
        unit="relative gain error",
    )
    yield fmbench.ProbeSpec(
        name="acme_clip",
        summary="clip each sample and channel at (1 - level) of its peak amplitude",
        levels=(0.0, 0.1, 0.25, 0.5, 0.75),
        perturb=_P + "clip",
        unit="fraction of the peak amplitude cut off",
    )
