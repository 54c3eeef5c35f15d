"""The Python API: evaluate a model on a suite from a notebook or a script.

``fmbench.evaluate`` runs the same pipeline as ``fmbench run`` (so the same model and seed give
the same metrics) and returns the typed result; ``write`` puts ``eval.yaml``, ``report.md`` and
the plots where you want them, exactly as the command line writes them; ``fmbench.read_eval``
reads an ``eval.yaml`` back into the same records.

Example::

    import fmbench

    class MyModel:
        def predict_proba(self, X):
            ...

    result = fmbench.evaluate(MyModel(), "SUITE-TOY-CLASS", data_root="toy_data", seed=42)
    auroc = result.benchmarks["BM-TOY-CLASS"].metrics["AUROC"]   # .value, .ci == (low, high)
    result.write("results/run1")                 # eval.yaml + report.md, as the CLI writes them
    same = fmbench.read_eval("results/run1/eval.yaml")
    assert same.to_dict() == result.to_dict()
"""

from __future__ import annotations

import re
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from fmbench.errors import ConfigError, ResultsError
from fmbench.models.config import ModelConfig, parse_model_config, resolve_model_config
from fmbench.plugin_system.registry import Registry, get_registry
from fmbench.plugin_system.specs import SuiteSpec
from fmbench.results.records import BenchmarkResult, EvalDocument, RobustnessResult, Status

__all__ = ["Evaluation", "evaluate", "read_eval", "resolve_suite"]

#: The adapter type recorded for a model object handed to :func:`evaluate`.
OBJECT_TYPE = "python_object"


@attrs.define(eq=False)
class Evaluation:
    """The result of :func:`evaluate`: the typed eval document and the run's files.

    The files (``eval.yaml``, ``report.md``, ``predictions.npz``, ``plots/``) stay in a
    temporary folder until :meth:`write` copies them; they are removed with this object.
    """

    document: EvalDocument
    folder: Path
    _cleanup: Any = attrs.field(default=None, repr=False)

    @property
    def benchmarks(self) -> Mapping[str, BenchmarkResult]:
        """Each benchmark's result by id: ``.metrics["AUROC"].value``, ``.ci``, ``.status``."""
        return self.document.benchmarks

    @property
    def robustness(self) -> Mapping[str, RobustnessResult]:
        return self.document.robustness or {}

    @property
    def status(self) -> Status:
        return self.document.status

    @property
    def eval_id(self) -> str:
        return self.document.eval_id

    def to_dict(self) -> dict[str, Any]:
        """The document as ``eval.yaml`` holds it."""
        return self.document.to_dict()

    def write(self, out_dir: str | Path, *, overwrite: bool = False) -> Path:
        """Copy the run's files into ``out_dir`` (refused over earlier results unless
        ``overwrite``); returns the path of ``eval.yaml``."""
        from fmbench.running.output_folder import OutputFolder

        target = Path(out_dir)
        with OutputFolder(target, overwrite=overwrite) as folder:
            for item in sorted(self.folder.iterdir()):
                if item.name.startswith("."):
                    continue  # the journal: internal to the run that made it
                destination = folder.staging / item.name
                if item.is_dir():
                    shutil.copytree(item, destination)
                else:
                    shutil.copy2(item, destination)
            folder.commit(keep_journal=False)
        return target / "eval.yaml"


def resolve_suite(registry: Registry, suite: str | SuiteSpec) -> SuiteSpec:
    """A suite given by id (``fmbench list-suites``), as a YAML file, or as a record."""
    from fmbench.plugin_system.definitions import load_definition_file

    if isinstance(suite, SuiteSpec):
        return suite
    path = Path(suite)
    if suite.endswith((".yaml", ".yml")) and path.is_file():
        spec = load_definition_file(path)
        if not isinstance(spec, SuiteSpec):
            raise ConfigError(f"{path} is a benchmark definition; --suite needs a suite")
        return spec
    return registry.get(SuiteSpec, suite)


def _model_id(obj: object) -> str:
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()
    return re.sub(r"[^a-z0-9_.\-]", "_", name) or "model"


def _model(registry: Registry, model: Any, model_id: str | None) -> tuple[ModelConfig, Any]:
    """The config of ``model``, and the loaded handle when ``model`` is an object."""
    from fmbench.models.handle import ModelHandle

    if isinstance(model, ModelConfig):
        return model, None
    if isinstance(model, (str, Path)):
        return resolve_model_config(registry, str(model)), None
    if isinstance(model, Mapping):
        return parse_model_config(dict(model), source="<config given to fmbench.evaluate>"), None
    cls = type(model)
    config = ModelConfig(
        model_id=model_id or _model_id(model),
        type=OBJECT_TYPE,
        settings={"class": f"{cls.__module__}.{cls.__qualname__}"},
        source=f"<{cls.__qualname__} object given to fmbench.evaluate>",
    )
    return config, ModelHandle(model=model, config=config)


def evaluate(
    model: Any,
    suite: str | SuiteSpec,
    *,
    data_root: str | Path | None = None,
    seed: int = 42,
    dataset: str | None = None,
    protocol: str | None = None,
    batch_size: int = 256,
    n_resamples: int | None = None,
    model_id: str | None = None,
    registry: Registry | None = None,
    progress: bool = False,
) -> Evaluation:
    """Evaluate ``model`` on ``suite``, as ``fmbench run`` does, and return the typed result.

    Args:
        model: an object with some of ``predict``, ``predict_proba``, ``embed``,
            ``encode_sequences``, ``fit``, ``prepare`` (see :mod:`fmbench.capabilities`); or a
            model config (a mapping, a YAML file path) or the name of a model a plugin ships.
        suite: a suite id, a suite YAML file or a :class:`~fmbench.SuiteSpec`.
        data_root: where the toy datasets were generated (default ``./toy_data``).
        seed: the run's seed (splits, probes, bootstrap).
        dataset: run the suite's benchmarks on this dataset (an id or a folder) instead.
        protocol: override the benchmarks' protocol.
        batch_size: inputs per model call.
        n_resamples: bootstrap resamples (default: the benchmark's).
        model_id: the name results carry, for a model object (default: its class name).
        registry: the plugins to use (default: every installed plugin).
        progress: show progress bars.

    Returns:
        An :class:`Evaluation`: ``result.benchmarks["BM-X"].metrics["AUROC"].value`` and
        ``.ci``; ``result.write(folder)`` writes ``eval.yaml`` and ``report.md``.
    """
    from fmbench.running.suite_run import RunOptions, run_suite

    registry = registry or get_registry()
    suite_spec = resolve_suite(registry, suite)
    config, handle = _model(registry, model, model_id)
    workdir = Path(tempfile.mkdtemp(prefix="fmbench-evaluate-"))
    options = RunOptions(
        seed=seed,
        batch_size=batch_size,
        data_root=None if data_root is None else str(data_root),
        dataset=dataset,
        protocol=protocol,
        progress=progress,
        n_resamples=n_resamples,
        command="fmbench.evaluate",
        model_config_path=str(model) if isinstance(model, (str, Path)) else "",
    )
    try:
        result = run_suite(registry, suite_spec, config, workdir / "run", options, model=handle)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    evaluation = Evaluation(document=result.document, folder=workdir / "run")
    # the temporary files go when the result does
    evaluation._cleanup = weakref.finalize(evaluation, shutil.rmtree, workdir, True)
    return evaluation


def read_eval(path: str | Path) -> EvalDocument:
    """Read an ``eval.yaml`` (checked as untrusted input) into the typed records.

    Example::

        doc = fmbench.read_eval("results/run1/eval.yaml")
        doc.benchmarks["BM-TOY-CLASS"].metrics["AUROC"].ci
    """
    from fmbench.results.eval_file import read_document

    if not Path(path).is_file():
        raise ResultsError(f"eval file not found: {path}")
    return read_document(path)
