"""The contract check for plugin authors: ``fmbench.testing.assert_valid_plugin``.

Each test installs a small fake plugin (a ``*.dist-info`` folder on ``sys.path``) and checks
that a good one passes with everything exercised, and that each kind of mistake gives an
AssertionError naming the plugin and the record field.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from fmbench.testing import (
    REF_FIELDS,
    RawFeatures,
    assert_valid_plugin,
    make_fake_distribution,
    synthetic_batch,
)

_counter = itertools.count()

PROBE_PLUGIN = """
import numpy as np
import fmbench

def gain(x, level, rng, info):
    return np.asarray(x, dtype=float) * (1.0 + level)

{extra}

@fmbench.hookimpl
def fmbench_probes():
    yield fmbench.ProbeSpec(name="{prefix}_gain", summary="gain", levels=(0.0, 0.5, 1.0),
                            perturb="{module}:gain")
    {more}
"""

TASK_PLUGIN = """
import numpy as np
import fmbench

def generate(folder, seed):
    from fmbench.data.toy_files import write_array_dataset
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1], 30)
    X = rng.standard_normal((60, 5)) + y[:, None]
    write_array_dataset(folder, X=X, y=y, metadata={{"site": ["a", "b", "c"] * 20}},
                        info={{"modality": "tabular", "task": "classification"}})

def agreement(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))

@fmbench.hookimpl
def fmbench_datasets():
    yield fmbench.DatasetSpec(name="DS-{prefix}", summary="toy", modality="tabular",
                              load="fmbench.data.dataset:load_array_folder", toy_path="{prefix}/toy",
                              generate="{module}:generate")

@fmbench.hookimpl
def fmbench_metrics():
    yield fmbench.MetricSpec(name="{prefix}Agreement", summary="agreement",
                             compute="{module}:agreement", range=(0.0, 1.0))

@fmbench.hookimpl
def fmbench_benchmarks():
    yield from fmbench.load_definitions("{module}", "benchmarks")
"""

BENCHMARK_YAML = """
benchmark_id: BM-{prefix}
name: toy task
task: classification
dataset: DS-{prefix}
protocol: {protocol}
split: {split}
metrics: {{primary: {prefix}Agreement, secondary: [AUROC]}}
stratification: {{columns: [site], min_group_size: 5}}
"""


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Install a fake plugin from source; returns its distribution name."""
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("FMBENCH_NO_PLUGINS", raising=False)

    def install_plugin(template: str, files: dict[str, str] | None = None, **fields: str) -> str:
        number = next(_counter)
        prefix = f"t{number}"
        module = f"fmbench_contract_{number}"
        names = {"prefix": prefix, "module": module}
        values = {"extra": "", "more": "", **fields, **names}
        for key in ("extra", "more"):
            values[key] = values[key].format(**names)
        source = textwrap.dedent(template).format(**values)
        all_files = {f"{module}/__init__.py": source}
        for relative, text in (files or {}).items():
            all_files[f"{module}/{relative}"] = text.format(**values)
        dist = f"fmbench-contract-{number}"
        make_fake_distribution(site, dist, all_files, entry_point=module)
        return dist

    return install_plugin


def test_a_good_probe_plugin_passes_and_every_check_ran(install: Callable[..., str]) -> None:
    dist = install(PROBE_PLUGIN)
    check = assert_valid_plugin(dist)
    assert check.plugin == dist
    number = dist.rsplit("-", 1)[1]
    assert check.records == {"probe": [f"t{number}_gain"]}
    assert check.probes == [f"t{number}_gain"]
    assert check.references == [f"ProbeSpec(t{number}_gain).perturb=fmbench_contract_{number}:gain"]


def test_a_benchmark_plugin_runs_end_to_end(install: Callable[..., str], tmp_path: Path) -> None:
    dist = install(
        TASK_PLUGIN,
        files={"definitions/benchmarks/bm.yaml": BENCHMARK_YAML},
        protocol="zero_shot",
        split="{method: none}",
    )
    check = assert_valid_plugin(dist, workdir=tmp_path / "work")
    prefix = "t" + dist.rsplit("-", 1)[1]
    assert check.datasets == [f"DS-{prefix}"]
    assert check.metrics == [f"{prefix}Agreement"]
    assert list(check.benchmarks) == [f"BM-{prefix}"]
    assert isinstance(check.benchmarks[f"BM-{prefix}"], float)
    assert check.models == ["contract-check-baseline"]
    assert (tmp_path / "work" / "runs" / f"BM-{prefix}-" / "eval.yaml").is_file()


SUBJECT_TASK_PLUGIN = TASK_PLUGIN.replace(
    '"site": ["a", "b", "c"] * 20}}',
    '"site": ["a", "b", "c"] * 20, "subject_id": ["s%d" % (i // 3) for i in range(60)]}}',
)


def test_per_sample_resampling_of_subject_data_is_warned_about(
    install: Callable[..., str],
) -> None:
    """Issue #19 (6): 3 samples of each of 20 subjects resampled as if independent."""
    from fmbench.testing import PluginContractWarning

    dist = install(SUBJECT_TASK_PLUGIN, files={"definitions/benchmarks/bm.yaml": BENCHMARK_YAML},
                   protocol="zero_shot", split="{method: none}")  # fmt: skip
    with pytest.warns(PluginContractWarning, match="bootstrap: {unit: subject_id}"):
        check = assert_valid_plugin(dist)
    (message,) = check.warnings
    assert "'subject_id' column" in message and "resample single samples" in message
    resampled = install(
        SUBJECT_TASK_PLUGIN, files={"definitions/benchmarks/bm.yaml": BENCHMARK_YAML},
        protocol="zero_shot", split="{method: none}\nbootstrap: {unit: subject_id}",
    )  # fmt: skip
    assert assert_valid_plugin(resampled).warnings == []


def test_an_embedding_benchmark_runs_with_raw_features(install: Callable[..., str]) -> None:
    dist = install(
        TASK_PLUGIN,
        files={"definitions/benchmarks/bm.yaml": BENCHMARK_YAML},
        protocol="linear_probe",
        split="{method: kfold, folds: 3}",
    )
    check = assert_valid_plugin(dist)
    (value,) = check.benchmarks.values()
    assert value > 0.7  # the raw features carry the signal


def test_missing_name_names_plugin_and_field(install: Callable[..., str]) -> None:
    more = 'yield fmbench.ProbeSpec(summary="no name", levels=(0, 1), perturb="os:getcwd")'
    dist = install(PROBE_PLUGIN, more=more)
    with pytest.raises(AssertionError) as caught:
        assert_valid_plugin(dist)
    message = str(caught.value)
    assert message.startswith(f"plugin '{dist}' is failed")
    assert "missing 1 required keyword-only argument: 'name'" in message


def test_duplicate_name_names_plugin_field_and_both_providers(
    install: Callable[..., str],
) -> None:
    more = 'yield fmbench.ProbeSpec(name="noise", summary="s", levels=(0, 1), perturb="os:getcwd")'
    dist = install(PROBE_PLUGIN, more=more)
    with pytest.raises(AssertionError) as caught:
        assert_valid_plugin(dist)
    assert str(caught.value) == (
        f"plugin '{dist}': probe 'noise' field 'name': probe 'noise' is registered by both "
        f"'fmbench.builtin' and '{dist}'; uninstall one of them or block it with "
        "FMBENCH_BLOCK_PLUGINS"
    )


def test_name_yielded_twice_by_the_plugin(install: Callable[..., str]) -> None:
    more = 'yield fmbench.ProbeSpec(name="{prefix}_gain", summary="s", levels=(0, 1), perturb="os:getcwd")'
    dist = install(PROBE_PLUGIN, more=more)
    with pytest.raises(
        AssertionError, match=r"field 'name': probe '\w+_gain' is registered 2 times"
    ):
        assert_valid_plugin(dist)


def test_unresolvable_reference_names_plugin_and_field(install: Callable[..., str]) -> None:
    more = 'yield fmbench.ProbeSpec(name="{prefix}_x", summary="s", levels=(0, 1), perturb="{module}:gian")'
    dist = install(PROBE_PLUGIN, more=more)
    with pytest.raises(AssertionError) as caught:
        assert_valid_plugin(dist)
    message = str(caught.value)
    assert message.startswith(f"plugin '{dist}': ProbeSpec '")
    assert "field 'perturb': cannot resolve " in message
    assert ":gian'" in message


def test_unknown_metric_in_a_benchmark_names_the_field(install: Callable[..., str]) -> None:
    yaml_text = BENCHMARK_YAML.replace("secondary: [AUROC]", "secondary: [AUROCC]")
    dist = install(
        TASK_PLUGIN,
        files={"definitions/benchmarks/bm.yaml": yaml_text},
        protocol="zero_shot",
        split="{method: none}",
    )
    with pytest.raises(
        AssertionError,
        match=r"field 'metrics.secondary': no metric named 'AUROCC' is registered \(did you mean 'AUROC'\?\)",
    ):
        assert_valid_plugin(dist)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("return x + 1.0", "at its first level 0 the probe must return the input unchanged"),
        ("x *= 2\n    return x", "modifies its input in place at level 0"),
        ("return x[:, :1]", "keeps shapes"),
        ("return x.copy()", "changed nothing even at its strongest level 1"),
        (
            "import random\n    return x + (random.random() if level else 0.0)",
            "gave different outputs for the same rng seed",
        ),
    ],
)
def test_bad_probes_are_caught(install: Callable[..., str], body: str, expected: str) -> None:
    extra = f"def bad(x, level, rng, info):\n    {body}\n"
    more = 'yield fmbench.ProbeSpec(name="{prefix}_bad", summary="s", levels=(0, 0.5, 1), perturb="{module}:bad")'
    dist = install(PROBE_PLUGIN, extra=extra, more=more)
    with pytest.raises(AssertionError) as caught:
        assert_valid_plugin(dist)
    assert f"plugin '{dist}': ProbeSpec '" in str(caught.value)
    assert expected in str(caught.value)


def test_metric_outside_its_range(install: Callable[..., str]) -> None:
    extra = "def big(y_true, y_pred):\n    return 2.0\n"
    more = (
        "\n    # a metric instead of a second probe\n"
        "    yield from ()\n\n"
        "@fmbench.hookimpl\n"
        "def fmbench_metrics():\n"
        '    yield fmbench.MetricSpec(name="{prefix}Big", summary="s", compute="{module}:big", range=(0.0, 1.0))'
    )
    dist = install(PROBE_PLUGIN, extra=extra, more=more)
    with pytest.raises(
        AssertionError, match=r"MetricSpec '\w+Big' field 'range': compute returned 2.0"
    ):
        assert_valid_plugin(dist)


def test_misspelled_hook_is_caught(install: Callable[..., str]) -> None:
    extra = "@fmbench.hookimpl\ndef fmbench_probe():\n    return []\n"
    dist = install(PROBE_PLUGIN, extra=extra)
    with pytest.raises(AssertionError, match=r"unknown hook 'fmbench_probe'"):
        assert_valid_plugin(dist)


def test_a_plugin_that_registers_nothing(install: Callable[..., str]) -> None:
    dist = install("import fmbench\n")
    with pytest.raises(AssertionError, match="registers nothing"):
        assert_valid_plugin(dist)


def test_not_installed() -> None:
    with pytest.raises(AssertionError, match="no installed distribution of that name"):
        assert_valid_plugin("fmbench-not-installed-anywhere")


def test_ref_fields_cover_every_lazy_reference_of_the_records() -> None:
    import attrs

    import fmbench.plugin_system.specs as specs

    found: dict[str, tuple[str, ...]] = {}
    for name in specs.__all__:
        cls = getattr(specs, name)
        if not attrs.has(cls):
            continue
        fields = tuple(
            f.name
            for f in attrs.fields(cls)
            if f.validator is specs._check_ref  # type: ignore[attr-defined]
            or "Ref" in str(f.type)
        )
        if fields:
            found[name] = fields
    assert found == REF_FIELDS
    assert REF_FIELDS["ProbeSpec"] == ("perturb",)
    assert REF_FIELDS["DatasetSpec"] == ("load", "generate", "prepare")


def test_helpers() -> None:
    x, info = synthetic_batch("dna")
    assert x.shape == (4,)
    assert len(x[0]) == 32
    assert info["modality"] == "dna"
    assert RawFeatures().embed(x).shape == (4, 16)


BASELINE_PLUGIN_EXTRA = """
class Encoder:
    def embed(self, X):
        return np.asarray(X, dtype=float).reshape(len(X), -1)

def load_other(config):
    raise RuntimeError("the eeg-only baseline must not be tried on tabular data")

def load_encoder(config):
    return Encoder()

@fmbench.hookimpl
def fmbench_model_adapters():
    yield fmbench.ModelAdapterSpec(name="{prefix}_eeg", summary="BASELINE for EEG",
                                   load="{module}:load_other", baseline=True,
                                   modalities=("eeg",))
    yield fmbench.ModelAdapterSpec(name="{prefix}_tab", summary="BASELINE encoder",
                                   load="{module}:load_encoder", baseline=True,
                                   modalities=("tabular",))
"""


@pytest.mark.parametrize(
    ("protocol", "expected"), [("linear_probe", "_tab-baseline"), ("zero_shot", "contract")]
)
def test_baselines_are_chosen_by_modality_then_a_generic_model(
    install: Callable[..., str], tmp_path: Path, protocol: str, expected: str
) -> None:
    dist = install(
        TASK_PLUGIN + BASELINE_PLUGIN_EXTRA,
        files={"definitions/benchmarks/bm.yaml": BENCHMARK_YAML},
        protocol=protocol,
        split="{method: kfold, folds: 3}" if protocol == "linear_probe" else "{method: none}",
    )
    check = assert_valid_plugin(dist, workdir=tmp_path / "work")
    # linear_probe: the tabular encoder runs it (the EEG baseline is never tried);
    # zero_shot: the encoder cannot predict, so the generic dummy classifier runs it
    (model,) = check.models
    assert expected in model
    assert not check.not_run
