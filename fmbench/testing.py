"""Fixtures and a one-call contract check for plugin authors (a pytest plugin shipped with fmbench).

fmbench registers this module with pytest (entry point ``pytest11``), so in any package's
tests these fixtures are available without an import:

- ``fmbench_registry``: a registry built on a fresh plugin manager with fmbench's built-ins
  only (installed plugins off); CLI commands invoked in the test see it too.
- ``register_plugin``: ``register_plugin(module_or_object, ...) -> Registry`` registers in-test
  plugins (modules, classes, objects or single ``@fmbench.hookimpl`` functions) next to the
  built-ins and returns the resulting registry; CLI commands invoked in the test see it too.
- ``data_wheels``: ``data_wheels("scanpy==1.11.5", ...) -> Path``: the folder of real-data
  wheels (``make wheel-data``), with pip pointed at it only (``PIP_NO_INDEX=1``) and
  ``FMBENCH_DATA`` at a temporary cache; skips the test, saying how, when a wheel is absent.

and :func:`assert_valid_plugin` checks an installed plugin in one call::

    from fmbench.testing import assert_valid_plugin

    def test_plugin_contract():
        check = assert_valid_plugin("fmbench-acme-probes")
        assert check.probes == ["acme_gain"]

Importing this module is light (pytest loads it in every test run of every package): fmbench's
own modules, numpy and the rest are imported only when a fixture or check runs.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from fmbench.builtin.adapters import RawFeatures
from fmbench.capabilities import Embeds
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    DatasetSpec,
    MetricSpec,
    ModelAdapterSpec,
    ProbeSpec,
    ProtocolSpec,
    ReporterSpec,
    SuiteSpec,
)

if TYPE_CHECKING:
    from fmbench.plugin_system.registry import Registry

__all__ = [
    "PluginCheck",
    "PluginContractWarning",
    "RawFeatures",
    "assert_valid_plugin",
    "clustered_resampling_warning",
    "data_wheels",
    "fmbench_registry",
    "make_fake_distribution",
    "register_plugin",
    "synthetic_batch",
]


def _reference_fields() -> dict[str, tuple[str, ...]]:
    from fmbench.plugin_system.kinds import KINDS

    found = {}
    for record in KINDS:
        fields = tuple(f.name for f in attrs.fields(record) if "Ref" in str(f.type))
        if fields:
            found[record.__name__] = fields
    return found


#: Record class name -> the fields that hold lazy "module:attr" references (read off the
#: records' field types, e.g. ``ProbeSpec.perturb: Ref``).
REF_FIELDS: dict[str, tuple[str, ...]] = _reference_fields()


# --- fixtures --------------------------------------------------------------------------------


def _use_in_cli(monkeypatch: pytest.MonkeyPatch, registry: Registry) -> None:
    """Make CLI commands run in this test (CliRunner) see ``registry``."""
    import fmbench.plugin_system.registry

    def get_registry(external: bool | None = None) -> Registry:
        return registry

    monkeypatch.setattr(fmbench.plugin_system.registry, "get_registry", get_registry)


@pytest.fixture
def fmbench_registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A registry of fmbench's built-ins only, built on a fresh plugin manager.

    Installed plugins are not loaded, so the test sees the same registry on every machine.

    Example::

        def test_noise_is_registered(fmbench_registry):
            assert fmbench_registry.provider(ProbeSpec, "noise") == "fmbench.builtin"
    """
    from fmbench.plugin_system.registry import build_registry

    registry = build_registry(external=False, only=())  # installed plugins not even listed
    _use_in_cli(monkeypatch, registry)
    return registry


def _as_plugin(item: object) -> object:
    """A single ``@hookimpl`` function becomes a one-hook plugin object."""
    import types

    name = getattr(item, "__name__", "")
    if (
        isinstance(item, types.FunctionType)
        and name.startswith("fmbench_")
        and hasattr(item, "fmbench_impl")
    ):
        holder = types.SimpleNamespace(**{name: item})
        holder.__name__ = f"{item.__module__}.{item.__qualname__}"
        return holder
    return item


@pytest.fixture
def data_wheels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Path]:
    """Point pip at the real-data wheels and fmbench at a fresh cache (see module doc)."""
    from fmbench.testing_wheels import find_data_wheels, local_pip_env

    def use(*requirements: str) -> Path:
        folder, why = find_data_wheels(*requirements)
        if folder is None:
            pytest.skip(why)
        for key, value in local_pip_env(folder).items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("PIP_INDEX_URL", raising=False)
        monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
        monkeypatch.delenv("FMBENCH_MIRROR", raising=False)
        monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "fmbench-cache"))
        return folder

    return use


@pytest.fixture
def register_plugin(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Registry]:
    """Register in-test plugins next to the built-ins and return the resulting registry.

    Each argument is a module, a class or object with ``@fmbench.hookimpl`` methods, or a
    single ``@fmbench.hookimpl`` function. Installed plugins stay off unless
    ``external=True``.

    Example::

        @fmbench.hookimpl
        def fmbench_probes():
            yield fmbench.ProbeSpec(name="flip", summary="negate", levels=(0, 1),
                                    perturb="my_tests.helpers:flip")

        def test_flip(register_plugin):
            registry = register_plugin(fmbench_probes)
            assert registry.has(ProbeSpec, "flip")
    """
    from fmbench.plugin_system.registry import build_registry

    def register(*plugins: object, external: bool = False) -> Registry:
        registry = build_registry(
            external=external,
            extra_modules=tuple(_as_plugin(p) for p in plugins),
            only=None if external else (),
        )
        _use_in_cli(monkeypatch, registry)
        return registry

    return register


# --- a model for contract checks of embedding protocols --------------------------------------


# --- the contract check ----------------------------------------------------------------------


@dataclasses.dataclass
class PluginCheck:
    """What :func:`assert_valid_plugin` checked (so that a test can see it was not vacuous).

    ``benchmarks`` maps each benchmark run to its primary metric value (None when undefined);
    ``not_run`` names the benchmarks on datasets without toy data (real or downloaded), and why;
    ``warnings`` holds what passed but deserves a look (each also raised as a
    :class:`PluginContractWarning`).
    """

    plugin: str
    version: str
    records: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    references: list[str] = dataclasses.field(default_factory=list)
    probes: list[str] = dataclasses.field(default_factory=list)
    datasets: list[str] = dataclasses.field(default_factory=list)
    metrics: list[str] = dataclasses.field(default_factory=list)
    benchmarks: dict[str, Any] = dataclasses.field(default_factory=dict)
    reporters: list[str] = dataclasses.field(default_factory=list)
    models: list[str] = dataclasses.field(default_factory=list)
    not_run: dict[str, str] = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)


class PluginContractWarning(UserWarning):
    """Something a plugin's records allow but that is probably a mistake (the contract check
    passes, and says so)."""


SUBJECT_COLUMN = "subject_id"


def clustered_resampling_warning(
    benchmark: Any, columns: Sequence[str], subjects_repeat: bool = True
) -> str | None:
    """The warning for a benchmark whose data has a ``subject_id`` column (with subjects that
    have several samples, when the data is known) but whose intervals resample single samples
    (windows of one subject are not independent), or None.

    Example:
        >>> from fmbench.plugin_system.specs import BenchmarkSpec, MetricsDeclaration
        >>> bm = BenchmarkSpec(name="BM-X", summary="x", task="classification", dataset="D",
        ...                    metrics=MetricsDeclaration(primary="AUROC"))
        >>> print(clustered_resampling_warning(bm, ["subject_id", "site"]))  # doctest: +ELLIPSIS
        BenchmarkSpec 'BM-X': its dataset has a 'subject_id' column, but its intervals ...
    """
    from fmbench.statistics.intervals import bootstrap_unit

    if SUBJECT_COLUMN not in columns or not subjects_repeat:
        return None
    if bootstrap_unit(benchmark) is not None:
        return None
    declared = " (it declares bootstrap.unit: sample)" if benchmark.bootstrap.unit else ""
    return (
        f"BenchmarkSpec {benchmark.name!r}: its dataset has a {SUBJECT_COLUMN!r} column, but its "
        f"intervals resample single samples{declared}; samples of one subject are not "
        "independent, so the intervals are too narrow. Declare `bootstrap: {unit: subject_id}` "
        "(or split with group_by: subject_id)"
    )


class _Checker:
    """One contract check of one plugin; every failure is an AssertionError naming both."""

    def __init__(self, registry: Registry, plugin: str, seed: int, workdir: Path) -> None:
        self.registry = registry
        self.plugin = plugin
        self.seed = seed
        self.workdir = workdir
        self.toy_root = workdir / "toy_data"
        self.loaded: dict[str, Any] = {}

    def fail(self, what: str, field: str, problem: str) -> AssertionError:
        return AssertionError(f"plugin {self.plugin!r}: {what} field {field!r}: {problem}")

    def own(self, kind: type[Any]) -> list[Any]:
        return [
            r
            for r in self.registry.all(kind)
            if self.registry.provider(kind, r.name) == self.plugin
        ]

    # records and references ------------------------------------------------------------
    def check_conflicts(self) -> None:
        from fmbench.plugin_system.kinds import KINDS
        from fmbench.plugin_system.registry import conflict_message

        for kind, names in self.registry.conflicts.items():
            for name, providers in names.items():
                if self.plugin in providers:
                    raise self.fail(
                        f"{KINDS[kind].noun} {name!r}",
                        "name",
                        conflict_message(kind, name, providers),
                    )

    def check_references(self, record: Any) -> list[str]:
        from fmbench.plugin_system.specs import resolve

        cls = type(record).__name__
        checked = []
        for field in REF_FIELDS.get(cls, ()):
            value = getattr(record, field)
            if value is None or isinstance(value, (int, float)):
                continue
            try:
                target = resolve(value)
            except Exception as exc:
                raise self.fail(
                    f"{cls} {record.name!r}",
                    field,
                    f"cannot resolve {value!r} ({type(exc).__name__}: {exc})",
                ) from exc
            if not callable(target):
                raise self.fail(
                    f"{cls} {record.name!r}",
                    field,
                    f"{value!r} is a {type(target).__name__}, not a callable",
                )
            shown = value if isinstance(value, str) else repr(target)
            checked.append(f"{cls}({record.name}).{field}={shown}")
        return checked

    def known(self, kind: type, name: str, what: str, field: str) -> None:
        from fmbench.errors import suggest
        from fmbench.plugin_system.kinds import KINDS

        if not self.registry.has(kind, name):
            raise self.fail(
                what,
                field,
                f"no {KINDS[kind].noun} named {name!r} is registered"
                f"{suggest(name, self.registry.names(kind))}",
            )

    def check_benchmark_names(self, bm: Any) -> None:
        what = f"BenchmarkSpec {bm.name!r}"
        self.known(DatasetSpec, bm.dataset, what, "dataset")
        self.known(ProtocolSpec, bm.protocol, what, "protocol")
        for i, metric in enumerate([bm.metrics.primary, *bm.metrics.secondary]):
            field = "metrics.primary" if i == 0 else "metrics.secondary"
            self.known(MetricSpec, metric, what, field)
            spec = self.registry.get(MetricSpec, metric)
            if spec.task != bm.task:
                raise self.fail(
                    what, field, f"{metric!r} is a {spec.task} metric; the task is {bm.task}"
                )
        for entry in bm.probes:
            self.known(ProbeSpec, entry.name, what, "probes")

    def check_suite_names(self, suite: Any) -> None:
        what = f"SuiteSpec {suite.name!r}"
        for entry in suite.benchmarks:
            self.known(BenchmarkSpec, entry.benchmark, what, "benchmarks")
            if entry.dataset:
                self.known(DatasetSpec, entry.dataset, what, "benchmarks.dataset")
        for entry in suite.probes:
            self.known(ProbeSpec, entry.name, what, "probes")

    # datasets --------------------------------------------------------------------------
    def generate(self, name: str, root: Path | None = None) -> Any:
        """Generate a registered toy dataset and load it."""
        from fmbench.data.generate_toy import generate_all
        from fmbench.data.locate import load_dataset

        root = root or self.toy_root
        list(generate_all(self.registry, root, seed=self.seed, only=[name]))
        dataset, _ = load_dataset(self.registry, name, root=root)
        return dataset

    def check_dataset(self, spec: Any) -> bool:
        what = f"DatasetSpec {spec.name!r}"
        if spec.generate is None:
            return False
        if not spec.toy_path:
            raise self.fail(what, "toy_path", "a dataset with a generator needs a toy_path")
        try:
            dataset = self.generate(spec.name)
        except AssertionError:
            raise
        except Exception as exc:
            raise self.fail(
                what, "generate", f"generating and loading failed: {type(exc).__name__}: {exc}"
            ) from exc
        again = self.generate(spec.name, self.workdir / "toy_data_again")
        if dataset.content_sha256 != again.content_sha256:
            raise self.fail(
                what, "generate", f"seed {self.seed} gave different data on a second call"
            )
        if spec.task != "any" and dataset.info.get("task", spec.task) != spec.task:
            raise self.fail(
                what,
                "task",
                f"the record says {spec.task} but the data holds {dataset.info.get('task')}",
            )
        self.loaded[spec.name] = dataset
        return True

    # probes ----------------------------------------------------------------------------
    def probe_input(self, spec: Any, given: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        import numpy as np

        if spec.name in given:
            x, info = given[spec.name]
            return np.asarray(x), dict(info)
        for dataset in self.loaded.values():
            modality = dataset.info.get("modality")
            if isinstance(dataset.X, np.ndarray) and (
                not spec.modalities or modality in spec.modalities
            ):
                return np.array(dataset.X[:8]), dict(dataset.info)
        return synthetic_batch(spec.modalities[0] if spec.modalities else "tabular", self.seed)

    def check_probe(self, spec: Any, given: Mapping[str, Any]) -> None:
        import numpy as np

        from fmbench.plugin_system.specs import resolve

        what = f"ProbeSpec {spec.name!r}"
        perturb = resolve(spec.perturb)
        x, info = self.probe_input(spec, given)
        x = np.array(x, copy=True)
        reference = x.copy()
        x.setflags(write=False)
        equal_nan = x.dtype.kind in "fc"

        def call(level: float) -> Any:
            # each level has its own rng stream, the same on every call
            rng = np.random.default_rng([self.seed, spec.levels.index(level)])
            try:
                out = perturb(x, level, rng, info)
            except ValueError as exc:
                if "read-only" in str(exc):
                    raise self.fail(
                        what,
                        "perturb",
                        f"modifies its input in place at level {level} (x is read-only; "
                        "return a new array, e.g. out = x.copy())",
                    ) from exc
                raise self.fail(
                    what, "perturb", f"raised at level {level}: ValueError: {exc}"
                ) from exc
            except Exception as exc:
                raise self.fail(
                    what, "perturb", f"raised at level {level}: {type(exc).__name__}: {exc}"
                ) from exc
            if not np.array_equal(x, reference, equal_nan=equal_nan):
                raise self.fail(what, "perturb", f"modified its input at level {level}")
            out = np.asarray(out)
            if out.shape != x.shape:
                raise self.fail(
                    what,
                    "perturb",
                    f"returned shape {out.shape} at level {level} for input shape {x.shape}; "
                    "a probe keeps shapes",
                )
            return out

        first = spec.levels[0]
        out = call(first)
        if not np.array_equal(out, reference, equal_nan=equal_nan):
            raise self.fail(
                what,
                "levels",
                f"at its first level {first:g} the probe must return the input unchanged, "
                f"but {int(np.sum(out != reference))} of {reference.size} values differ",
            )
        for level in spec.levels[1:]:
            call(level)
        strongest = max(spec.levels, key=lambda v: abs(v - first))
        out = call(strongest)
        if not np.array_equal(out, call(strongest), equal_nan=equal_nan):
            raise self.fail(
                what,
                "perturb",
                f"gave different outputs for the same rng seed at level {strongest:g}; "
                "draw randomness only from the rng argument",
            )
        if np.array_equal(out, reference, equal_nan=equal_nan):
            raise self.fail(
                what,
                "perturb",
                f"changed nothing even at its strongest level {strongest:g} "
                f"(input shape {x.shape}, modality {info.get('modality')})",
            )

    # metrics ---------------------------------------------------------------------------
    def check_metric(self, spec: Any) -> None:
        import numpy as np

        from fmbench.errors import MetricUndefined
        from fmbench.plugin_system.specs import resolve

        what = f"MetricSpec {spec.name!r}"
        rng = np.random.default_rng(self.seed)
        if spec.task == "classification":
            y_true = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 1])
            noisy = np.where(rng.random(10) < 0.3, (y_true + 1) % 3, y_true)
            score = np.eye(3)[noisy] * 0.7 + 0.1 if spec.needs == "proba" else noisy
        else:
            y_true = np.linspace(-1.0, 1.0, 10)
            score = y_true + rng.normal(0, 0.3, 10)
        try:
            value = resolve(spec.compute)(y_true, score)
        except MetricUndefined:
            return
        except Exception as exc:
            raise self.fail(
                what, "compute", f"raised on a small example: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.fail(
                what, "compute", f"returned {type(value).__name__}, expected a float"
            ) from None
        if not math.isfinite(number):
            raise self.fail(
                what, "compute", "returned a non-finite value; raise MetricUndefined instead"
            )
        if spec.range is not None and not spec.range[0] - 1e-9 <= number <= spec.range[1] + 1e-9:
            raise self.fail(what, "range", f"compute returned {number}, outside {spec.range}")

    # runs ------------------------------------------------------------------------------
    def model_configs(self, benchmark: Any, model: Any) -> list[Any]:
        """The models to try on a benchmark, in order: ``model`` alone when given; else the
        plugin's baselines whose modalities fit the benchmark's dataset, then a generic model
        (the dummy classifier/regressor, or the raw-features encoder for embedding protocols).
        """
        from fmbench.models.config import ModelConfig, parse_model_config, read_model_config

        if model is not None:
            if isinstance(model, ModelConfig):
                return [model]
            if isinstance(model, Mapping):
                return [parse_model_config(dict(model), source="assert_valid_plugin(model=...)")]
            return [read_model_config(model)]
        modality = self.registry.get(DatasetSpec, benchmark.dataset).modality
        configs = [
            ModelConfig(
                model_id=f"{adapter.name}-baseline",
                type=adapter.name,
                source=f"<baseline adapter of {self.plugin}>",
            )
            for adapter in self.own(ModelAdapterSpec)
            if adapter.baseline and (not adapter.modalities or modality in adapter.modalities)
        ]
        protocol = self.registry.get(ProtocolSpec, benchmark.protocol)
        needs_embedding = any(Embeds in group for group in protocol.needs)
        if needs_embedding:
            import_path = "fmbench.testing:RawFeatures"
        elif benchmark.task == "regression":
            import_path = "fmbench.models.dummy:DummyRegressor"
        else:
            import_path = "fmbench.models.dummy:DummyClassifier"
        configs.append(
            ModelConfig(
                model_id="contract-check-baseline",
                type="python_class",
                settings={"import_path": import_path, "init_kwargs": {}},
                source="<contract check>",
            )
        )
        return configs

    def run(self, benchmark: Any, model: Any, reporters: tuple[str, ...] | None = None) -> Any:
        """Run the benchmark on its toy data with the first model of ``model_configs`` that
        completes it; fail with the first model's error when none does."""
        from fmbench.plugin_system.specs import SuiteEntry, SuiteSpec
        from fmbench.results.eval_file import schema_errors
        from fmbench.running.suite_run import RunOptions, run_suite

        what = f"BenchmarkSpec {benchmark.name!r}"
        dataset_spec = self.registry.get(DatasetSpec, benchmark.dataset)
        if dataset_spec.generate is None or not dataset_spec.toy_path:
            raise self.fail(
                what,
                "dataset",
                f"dataset {benchmark.dataset!r} has no toy generator, so the benchmark cannot "
                "run on toy data; give the dataset generate= and toy_path=",
            )
        if not (self.toy_root / dataset_spec.toy_path).exists():
            self.generate(benchmark.dataset)
        suite = SuiteSpec(
            name=f"CONTRACT-{benchmark.name}",
            summary=f"contract check of {benchmark.name}",
            benchmarks=(SuiteEntry(benchmark=benchmark.name),),
        )
        options = RunOptions(
            seed=self.seed,
            data_root=str(self.toy_root),
            progress=False,
            overwrite=True,
            command=f"assert_valid_plugin({self.plugin!r})",
            reporters=reporters,
        )
        out_dir = self.workdir / "runs" / f"{benchmark.name}-{'-'.join(reporters or ())}"
        failures: list[str] = []
        for config in self.model_configs(benchmark, model):  # each replaces the last's run
            try:
                result = run_suite(self.registry, suite, config, out_dir, options)
            except Exception as exc:
                failures.append(f"the run with model {config.model_id!r} failed: {exc}")
                continue
            outcome = result.outcomes[0]
            if not outcome.ok:
                failures.append(
                    f"the benchmark failed on its toy data with model {config.model_id!r}: "
                    f"{outcome.record.get('error')}"
                )
                continue
            errors = schema_errors(result.document.to_dict())
            if errors:
                raise self.fail(what, "name", f"its eval.yaml breaks the schema: {errors[0]}")
            return result
        tried = f" ({len(failures)} models tried)" if len(failures) > 1 else ""
        raise self.fail(
            what, "name", f"{failures[0]}{tried} (set FMBENCH_DEBUG=1 for the traceback)"
        )


def synthetic_batch(modality: str, seed: int = 0) -> tuple[Any, dict[str, Any]]:
    """A small input batch of a modality, with the facts probes usually read from ``info``.

    Example:
        >>> x, info = synthetic_batch("eeg")
        >>> x.shape, info["sfreq"]
        ((4, 4, 128), 128.0)
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    info: dict[str, Any] = {"modality": modality, "n_classes": 2, "task": "classification"}
    if modality in ("eeg", "meg"):
        x = rng.standard_normal((4, 4, 128))
        info.update(sfreq=128.0, sampling_freq=128.0, ch_names=["Fz", "Cz", "Pz", "Oz"])
    elif modality == "mri":
        x = rng.standard_normal((2, 8, 8, 8))
    elif modality == "fmri":
        x = rng.standard_normal((4, 6, 20))
        info.update(sfreq=0.5, sampling_freq=0.5)
    elif modality in ("expression", "single_cell"):
        x = rng.poisson(2.0, size=(4, 20)).astype(np.float64)
        info.update(gene_names=[f"G{i}" for i in range(20)])
    elif modality in ("dna", "variant"):
        letters = np.array(list("ACGT"))
        x = np.array(["".join(rng.choice(letters, 32)) for _ in range(4)])
    else:
        x = rng.standard_normal((4, 10))
    return x, info


def _plugin_names(registry: Registry, name: str) -> list[str]:
    from fmbench.plugin_system.loading import canonical_name

    return [p.name for p in registry.plugins if canonical_name(p.name) == canonical_name(name)]


def assert_valid_plugin(
    name: str,
    *,
    model: Any = None,
    seed: int = 0,
    probe_inputs: Mapping[str, tuple[Any, Mapping[str, Any]]] | None = None,
    with_plugins: Sequence[str] = (),
    workdir: str | os.PathLike[str] | None = None,
) -> PluginCheck:
    """Check an installed plugin against the plugin contract; raise AssertionError if it fails.

    The plugin is loaded alone with fmbench's built-ins (and ``with_plugins``, for plugins it
    builds on). Then:

    - it loads (not failed, incompatible or disabled), its hooks are all known hooks, and it
      registers at least one record; every record is valid and its name is unique;
    - every lazy ``"module:attr"`` reference resolves to a callable, and every name a benchmark
      or suite refers to (dataset, protocol, metrics, probes, benchmarks) is registered;
    - every probe returns its input unchanged at its first level, keeps shapes, never writes
      into its (read-only) input, is reproducible for a given rng, and changes the input at its
      strongest level;
    - every dataset with a generator generates (twice, identically) and loads;
    - every metric gives a finite float within its declared range on a small example;
    - every benchmark runs end to end on its toy data (eval.yaml valid against the schema)
      (a benchmark on a dataset without a generator, real or downloaded data, is listed in
      ``not_run`` instead),
      with ``model`` (a model config path or mapping); else with the first that completes
      it of: the plugin's baseline adapters whose ``modalities`` include the benchmark
      dataset's modality, then the dummy classifier/regressor (``zero_shot``) or the
      raw-features encoder;
    - every reporter writes its files for a run of the core's toy benchmark;
    - (a warning, not a failure) a benchmark whose dataset has a ``subject_id`` column (with
      several samples of a subject in its toy data; any, for data not generated here) but
      whose intervals resample single samples is listed in ``warnings`` and raised as a
      :class:`PluginContractWarning`;
    - with ``model`` given and no benchmark of its own, the plugin's adapter runs ``BM-TOY-CLASS``.

    Failures name the plugin and the record field, e.g. ``plugin 'fmbench-acme': ProbeSpec
    'acme_gain' field 'perturb': cannot resolve 'fmbench_acme.probes:gian' ...``.

    Args:
        name: the plugin's distribution name (as in ``fmbench plugins list``).
        model: model config for the benchmark runs (path, mapping or ModelConfig).
        seed: seed for data generation, probes and runs.
        probe_inputs: probe name -> ``(x, info)`` to use instead of generated input.
        with_plugins: other installed plugins to load alongside.
        workdir: where to write toy data and runs (a temporary folder by default).

    Returns:
        A :class:`PluginCheck` saying what was checked.
    """
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="fmbench-contract-") as tmp:
            return _check(name, model, seed, dict(probe_inputs or {}), with_plugins, Path(tmp))
    return _check(name, model, seed, dict(probe_inputs or {}), with_plugins, Path(workdir))


def _check(
    name: str,
    model: Any,
    seed: int,
    probe_inputs: dict[str, Any],
    with_plugins: Sequence[str],
    workdir: Path,
) -> PluginCheck:
    import pluggy

    from fmbench.plugin_system.kinds import KINDS
    from fmbench.plugin_system.registry import build_registry

    registry = build_registry(external=True, only=(name, *with_plugins))
    matches = _plugin_names(registry, name)
    if not matches:
        raise AssertionError(
            f"plugin {name!r}: no installed distribution of that name declares an `fmbench` "
            "entry point; check [project.entry-points.fmbench] in its pyproject.toml and "
            "install it (pip install -e .)"
        )
    info = registry.plugin(matches[0])
    if info.status != "loaded":
        raise AssertionError(f"plugin {info.name!r} is {info.status}: {info.error}")
    assert registry.manager is not None
    try:
        registry.manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise AssertionError(
            f"plugin {info.name!r}: {exc} (known hooks: "
            f"{', '.join(kind.hook for kind in KINDS.values())})"
        ) from None
    checker = _Checker(registry, info.name, seed, workdir)
    checker.check_conflicts()
    check = PluginCheck(plugin=info.name, version=info.version)
    for record_type, kind in KINDS.items():
        names = [r.name for r in checker.own(record_type)]
        if names:
            check.records[kind.name] = names
    if not check.records:
        raise AssertionError(
            f"plugin {info.name!r} registers nothing (hooks found: "
            f"{', '.join(info.hooks) or 'none'}); hook functions need @fmbench.hookimpl and "
            "must return or yield records"
        )
    for record_type in KINDS:
        for record in checker.own(record_type):
            check.references += checker.check_references(record)
    for bm in checker.own(BenchmarkSpec):
        checker.check_benchmark_names(bm)
    for suite in checker.own(SuiteSpec):
        checker.check_suite_names(suite)
    for spec in checker.own(DatasetSpec):
        if checker.check_dataset(spec):
            check.datasets.append(spec.name)
    for spec in checker.own(ProbeSpec):
        checker.check_probe(spec, probe_inputs)
        check.probes.append(spec.name)
    for spec in checker.own(MetricSpec):
        checker.check_metric(spec)
        check.metrics.append(spec.name)
    for bm in checker.own(BenchmarkSpec):
        dataset = registry.get(DatasetSpec, bm.dataset)
        if dataset.generate is None:
            where = "downloaded by fmbench datasets fetch" if dataset.sources else "real data"
            check.not_run[bm.name] = f"dataset {dataset.name} has no toy data ({where})"
            continue
        result = checker.run(bm, model)
        record = result.outcomes[0].record
        check.benchmarks[bm.name] = record["primary_metric"]["value"]
        check.models.append(result.model.model_id)
        data = checker.loaded.get(bm.dataset) or checker.generate(bm.dataset)
        subjects = data.metadata.get(SUBJECT_COLUMN) if hasattr(data.metadata, "get") else None
        repeat = subjects is None or len(set(map(str, subjects))) < len(subjects)
        _warn_resampling(check, bm, list(data.metadata), repeat)
    for bm in checker.own(BenchmarkSpec):
        if bm.name not in check.benchmarks:  # not run: read the declared metadata instead
            _warn_resampling(check, bm, list(bm.data_spec.required_metadata))
    toy = registry.get(BenchmarkSpec, "BM-TOY-CLASS")
    if model is not None and not checker.own(BenchmarkSpec):
        result = checker.run(toy, model)
        check.benchmarks[toy.name] = result.outcomes[0].record["primary_metric"]["value"]
        check.models.append(result.model.model_id)
    for spec in checker.own(ReporterSpec):
        result = checker.run(toy, None, reporters=(spec.name,))
        written = _reporter_files(result.out_dir)
        if not written:
            raise checker.fail(
                f"ReporterSpec {spec.name!r}", "write", "wrote no file into the run's folder"
            )
        check.reporters.append(spec.name)
    return check


def _warn_resampling(
    check: PluginCheck, benchmark: Any, columns: Sequence[str], subjects_repeat: bool = True
) -> None:
    import warnings

    columns = [*columns, *benchmark.data_spec.required_metadata]
    message = clustered_resampling_warning(benchmark, columns, subjects_repeat)
    if message is not None and message not in check.warnings:
        check.warnings.append(message)
        warnings.warn(f"plugin {check.plugin!r}: {message}", PluginContractWarning, stacklevel=3)


def _reporter_files(out_dir: Path) -> list[Path]:
    return [p for p in _walk(out_dir) if p.name != "eval.yaml"]


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path


def make_fake_distribution(
    root: str | os.PathLike[str],
    name: str,
    files: Mapping[str, str],
    *,
    entry_point: str | None,
    version: str = "0.1.0",
    requires: Sequence[str] = ("fmbench-core>=0.1,<0.2",),
) -> Path:
    """Write an "installed" distribution (a ``*.dist-info`` folder and its files) under ``root``.

    Put ``root`` on ``sys.path`` (``monkeypatch.syspath_prepend(root)``) and
    ``importlib.metadata`` finds it like a pip-installed package: tests of plugin loading use it
    to make broken, incompatible or conflicting plugins without installing anything.

    Args:
        root: the folder that goes on ``sys.path``.
        name: the distribution name, e.g. ``"fmbench-broken"``.
        files: relative path -> source text (the plugin's modules and data files).
        entry_point: the ``fmbench`` entry point's value (a module name), or None for none.
        version: the distribution's version.
        requires: its ``Requires-Dist`` lines.

    Returns:
        The ``*.dist-info`` folder.

    Example::

        make_fake_distribution(tmp_path, "fmbench-broken", {"broken.py": "raise ImportError('x')"},
                               entry_point="broken")
        monkeypatch.syspath_prepend(str(tmp_path))
    """
    root = Path(root)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    dist_info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (dist_info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if entry_point is not None:
        (dist_info / "entry_points.txt").write_text(
            f"[fmbench]\n{name} = {entry_point}\n", encoding="utf-8"
        )
    return dist_info
