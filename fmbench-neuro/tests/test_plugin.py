"""The plugin registers what it promises, lazily, without clashing with the core."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    DatasetSpec,
    ModelAdapterSpec,
    ProbeSpec,
    SuiteSpec,
)

NEURO_PROBES = {"line_noise", "line_noise_60", "permutation", "shift", "bias_field", "contrast",
                "motion", "thermal_noise", "roi_dropout"}  # fmt: skip
NEURO_BENCHMARKS = {"BM-FMRI-GRANULAR", "BM-EEG-ABNORMAL", "BM-EEG-ROBUSTNESS", "BM-SMRI-AD",
                    "BM-BRAIN-MAE", "BM-EEGBCI-EYES", "BM-FMRI-CCA-PHENOTYPE",
                    "BM-MNI152-TISSUE", "BM-PD-SPEECH", "BM-EEG-ICLABEL",
                    "BM-SLEEPEDF-STAGING", "BM-EEGBCI-MI", "BM-CHBMIT-SEIZURE",
                    "BM-EEGBCI-MI-WITHIN", "BM-EEGBCI-MI-CROSSRUN"}  # fmt: skip


def test_plugin_loaded_and_contributes(registry) -> None:
    info = registry.plugin("fmbench-neuro")
    assert info.status == "loaded", info.error
    assert set(info.contributes["probe"]) == NEURO_PROBES
    assert set(info.contributes["benchmark"]) == NEURO_BENCHMARKS
    assert "SUITE-NEURO-CLASS-001" in info.contributes["suite"]
    assert "SUITE-ROBUSTNESS-NEURO" in info.contributes["suite"]
    assert not any(registry.conflicts[k] for k in registry.conflicts)


def test_baselines_are_labelled(registry) -> None:
    for name in ("eeg_bandpower", "fmri_connectivity", "smri_regional", "roi_reconstruction"):
        spec = registry.get(ModelAdapterSpec, name)
        assert spec.baseline is True
        assert spec.summary.startswith("BASELINE")


def test_every_benchmark_has_its_topic_fields(registry) -> None:
    for name in NEURO_BENCHMARKS:
        bm = registry.get(BenchmarkSpec, name)
        for field in ("health_domain", "health_topic", "clinical_relevance", "ai_task",
                      "input_modality", "output_type"):  # fmt: skip
            assert getattr(bm, field), f"{name} lacks {field}"
        assert bm.stratification.columns, name
        assert registry.has(DatasetSpec, bm.dataset)
        if bm.split.method in ("within_session", "cross_session"):
            # MOABB's subject-specific paradigms: every fold trains and tests inside one
            # subject (make_folds checks it), the subjects are resampled for intervals
            assert bm.split.subject_by == "subject_id", name
        elif bm.protocol != "zero_shot":  # trained protocols never split a subject
            # (the MNI152 template is one brain: its patches are grouped by axial slab)
            expected = "slab" if name == "BM-MNI152-TISSUE" else "subject_id"
            assert bm.split.group_by == expected, name


def test_robustness_suite_declares_the_eeg_probes(registry) -> None:
    suite = registry.get(SuiteSpec, "SUITE-ROBUSTNESS-NEURO")
    assert [p.name for p in suite.probes] == [
        "dropout",
        "noise",
        "line_noise",
        "permutation",
        "shift",
    ]
    for probe in suite.probes:
        assert registry.has(ProbeSpec, probe.name)
    bm = registry.get(BenchmarkSpec, suite.benchmarks[0].benchmark)
    assert registry.get(DatasetSpec, bm.dataset).modality == "eeg"


def test_probe_grids_start_at_identity(registry) -> None:
    for name in NEURO_PROBES:
        spec = registry.get(ProbeSpec, name)
        assert spec.levels[0] == 0.0
        assert spec.unit
        assert spec.modalities


def test_list_benchmarks_names_the_provider() -> None:
    result = CliRunner().invoke(cli, ["list-benchmarks", "--json"], obj={})
    assert result.exit_code == 0, result.output
    rows = {
        r["benchmark_id"] if "benchmark_id" in r else r["name"]: r
        for r in json.loads(result.output)
    }
    for name in NEURO_BENCHMARKS:
        assert rows[name]["provider"] == "fmbench-neuro"


def test_plugins_list_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from fmbench.cli import main\n"
        "try:\n"
        "    main(['plugins', 'list'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('scipy', 'sklearn', 'nibabel', 'edfio', 'mne', 'matplotlib',"
        " 'torch') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "fmbench-neuro" in out.stdout
    assert "HEAVY []" in out.stdout, out.stdout


def test_the_plugin_passes_the_contract_check_with_its_own_baselines(tmp_path):
    from fmbench.testing import assert_valid_plugin

    check = assert_valid_plugin("fmbench-neuro", workdir=tmp_path)
    ran = dict(zip(check.benchmarks, check.models, strict=True))
    # each benchmark ran with the baseline made for its modality
    assert ran["BM-EEG-ABNORMAL"] == "eeg_bandpower-baseline"
    assert ran["BM-FMRI-GRANULAR"] == "fmri_connectivity-baseline"
    assert ran["BM-SMRI-AD"] == "smri_regional-baseline"
    # band power has no predict(): the zero-shot benchmark falls back to the dummy classifier
    assert ran["BM-EEG-ROBUSTNESS"] == "contract-check-baseline"
    assert "BM-EEGBCI-EYES" in check.not_run  # public data: not downloaded in tests
    assert {"BM-MNI152-TISSUE", "BM-PD-SPEECH"} <= set(check.not_run)  # wheel data, not fetched
    # every benchmark on subject data resamples subjects (issue #19: BM-EEG-ROBUSTNESS did not)
    assert check.warnings == []
