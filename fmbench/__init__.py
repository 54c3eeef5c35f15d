"""fmbench: standardised, local evaluation of foundation models for neurology and genomics.

The public plugin API: the :data:`hookimpl` marker and the record classes.

Example:
    >>> import fmbench
    >>> @fmbench.hookimpl
    ... def fmbench_probes():
    ...     yield fmbench.ProbeSpec(name="gain", summary="multiply by 1 + level",
    ...                             levels=(0.0, 0.5), perturb="my_plugin.probes:gain")
"""

from __future__ import annotations

from typing import Any

from fmbench._version import __version__
from fmbench.errors import FmbenchError, MetricUndefined
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    DatasetSpec,
    MetricSpec,
    ModelAdapterSpec,
    ModelSpec,
    ProbeSpec,
    ProtocolSpec,
    ReporterSpec,
    Source,
    SuiteSpec,
)

__all__ = [
    "BenchmarkSpec",
    "Dataset",
    "DatasetSpec",
    "FmbenchError",
    "MetricSpec",
    "MetricUndefined",
    "ModelAdapterSpec",
    "ModelSpec",
    "ProbeSpec",
    "ProtocolSpec",
    "ReporterSpec",
    "Source",
    "SuiteSpec",
    "__version__",
    "hookimpl",
    "load_definitions",
]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `import fmbench` stays light (no numpy, no YAML).
    if name == "Dataset":
        from fmbench.data.dataset import Dataset

        return Dataset
    if name == "load_definitions":
        from fmbench.plugin_system.definitions import load_definitions

        return load_definitions
    raise AttributeError(f"module 'fmbench' has no attribute {name!r}")
