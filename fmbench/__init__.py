"""fmbench: standardised, local evaluation of foundation models for neurology and genomics.

The public plugin API: the :data:`hookimpl` marker and the record classes.

Evaluate a model from Python with :func:`fmbench.evaluate` (see :mod:`fmbench.api`); read an
``eval.yaml`` back with :func:`fmbench.read_eval`.

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
    "BenchmarkResult",
    "BenchmarkSpec",
    "Dataset",
    "DatasetSpec",
    "EvalDocument",
    "Evaluation",
    "FmbenchError",
    "MetricSpec",
    "MetricUndefined",
    "MetricValue",
    "ModelAdapterSpec",
    "ModelSpec",
    "ProbeSpec",
    "ProtocolSpec",
    "ReporterSpec",
    "Source",
    "Status",
    "SuiteSpec",
    "__version__",
    "evaluate",
    "hookimpl",
    "load_definitions",
    "read_eval",
]

#: names imported on first use -> their module (so that `import fmbench` stays light)
_LAZY = {
    "Dataset": "fmbench.data.dataset",
    "load_definitions": "fmbench.plugin_system.definitions",
    "evaluate": "fmbench.api",
    "read_eval": "fmbench.api",
    "Evaluation": "fmbench.api",
    "EvalDocument": "fmbench.results.records",
    "BenchmarkResult": "fmbench.results.records",
    "MetricValue": "fmbench.results.records",
    "Status": "fmbench.results.records",
}


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `import fmbench` stays light (no numpy, no YAML).
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fmbench' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
