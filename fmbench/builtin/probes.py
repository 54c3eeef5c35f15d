"""Generic probes, registered through the probe hook (implementations in probe_functions).

``noise`` (Gaussian, SNR set per sample and channel), ``masking`` (elements), ``dropout``
(whole channels / features along axis 1).
"""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import ProbeSpec

_P = "fmbench.builtin.probe_functions:"


@hookimpl
def fmbench_probes() -> Iterator[ProbeSpec]:
    yield ProbeSpec(
        name="noise",
        summary="additive Gaussian noise at an SNR set per sample and channel",
        perturb=_P + "noise",
        levels=(0.0, 0.01, 0.0316, 0.1, 0.316, 1.0),
        unit="noise/signal RMS (SNR = -20*log10(level) dB: 40, 30, 20, 10, 0 dB)",
    )
    yield ProbeSpec(
        name="masking",
        summary="set each element to zero with probability level",
        perturb=_P + "masking",
        levels=(0.0, 0.05, 0.1, 0.15, 0.2, 0.3),
        unit="fraction of elements",
    )
    yield ProbeSpec(
        name="dropout",
        summary="set whole channels / features (axis 1) to zero with probability level",
        perturb=_P + "dropout",
        levels=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
        unit="fraction of channels",
    )
