"""Toy EEG with known sources, decomposed by ICA: ``DS-NEURO-EEG-ICLABEL``.

Each simulated recording (32 electrodes of the 10-10 system on a spherical head, 60 s at
250 Hz, microvolts) is the sum of labelled sources and an unlabelled background:

- **brain**: current dipoles in the cortex shell (0.55-0.8 of the head radius, roughly
  radial), each with amplitude-modulated rhythms (alpha posterior, mu/beta central, theta
  frontal) over a 1/f background; their scalp maps come from the homogeneous-sphere forward
  model (:func:`sphere_potential`), so they are smooth and dipolar;
- **eye**: a blink source (smooth 200-400 ms deflections every few seconds, vertical dipole
  behind the nasion: frontal map) and a horizontal-saccade source (steps between fixations,
  left-right dipole at the eyes: antisymmetric F7/F8 map);
- **muscle**: 1-3 shallow dipoles under the temporal electrodes with broadband high-frequency
  activity (20-100 Hz) in bursts: focal maps, rising spectra;
- **heart**: (most recordings) an ECG-like beat train (P, QRS, T at 55-85 beats/min) from a
  dipole at the base of the head: a broad far-field map;
- **line_noise**: (some recordings) 50 or 60 Hz mains on an irregular map (electrode
  impedances);
- **channel_noise**: (some recordings) one or two bad electrodes: large noise with pops on a
  single channel;
- background: 40 weak random dipoles with 1/f activity and 0.5 uV white sensor noise, not a
  source of its own.

Each source's activity is band-pass filtered (1-100 Hz, as ICLabel expects) and its map
average-referenced before they are summed, so each source's exact share of each channel is
known. FastICA (scikit-learn, logcosh, after scaling by the data's standard deviation and
PCA to as many components as there are labelled sources) decomposes each recording, and
each component gets ICLabel's features (:mod:`fmbench_neuro.eeg.iclabel_features`).

**Labels**: a component's activation is ``y = w . X``, so source ``j`` contributes exactly
``(w . a_j) s_j(t)``; its *share* is the variance of that contribution over the variance of
``y`` (shares of uncorrelated sources add up to 1; chance correlation between simulated
sources can push one slightly above 1). A component is labelled with the class of the single source whose share is largest
when that share is at least :data:`DOMINANT_SHARE` (the component recovers that source);
otherwise no source dominates (a mixture of sources, or mostly background) and it is
labelled ``other``, ICLabel's class for components that fit no other category. The best
share and the source are kept per component (metadata ``best_share``, ``best_source``).

What a score here means: the components are simulations. Their maps come from a one-sphere
head, their spectra and time courses from simple generators; a network trained on real,
expert-labelled components (as ICLabel was) may find them unlike what it has seen, and a
model that scores well here has not been shown to label real components well. The task
checks that a component classifier runs end to end on ICLabel's features and that its
labels follow the textbook signatures of each class.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> recording = simulate_recording(rng, duration=10.0)
    >>> recording.data.shape, recording.sfreq
    ((32, 2500), 250.0)
    >>> sorted({s.kind for s in recording.sources})[:3]
    ['brain', 'channel_noise', 'eye']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np

from fmbench.data.toy_files import write_array_dataset
from fmbench_neuro.eeg.iclabel_features import iclabel_features
from fmbench_neuro.eeg.montage import CHANNELS_32, electrode_xyz, polar_coordinates
from fmbench_neuro.toy.signals import bandlimited, pink_noise, unit_rms

__all__ = [
    "CLASS_NAMES",
    "DOMINANT_SHARE",
    "Decomposition",
    "SimulatedRecording",
    "Source",
    "decompose",
    "generate_eeg_iclabel",
    "label_components",
    "simulate_recording",
    "sphere_potential",
]

#: ICLabel's classes, in its output order (the dataset's label indices).
CLASS_NAMES = ("brain", "muscle", "eye", "heart", "line_noise", "channel_noise", "other")
#: The share of a component's variance one source must explain to give it its class.
DOMINANT_SHARE = 0.6
_FS = 250.0
_BAND = (1.0, 100.0)


@attrs.frozen(kw_only=True, eq=False)
class Source:
    """One simulated source: its class, scalp map (n_channels,) and activity (n_times,),
    both as they enter the data (average-referenced map; band-passed activity, uV)."""

    kind: str
    name: str
    topography: np.ndarray
    activity: np.ndarray


@attrs.frozen(kw_only=True, eq=False)
class SimulatedRecording:
    """A recording with its sources: ``data = sum(topography x activity) + background``."""

    ch_names: tuple[str, ...]
    sfreq: float
    sources: tuple[Source, ...]
    background: np.ndarray
    data: np.ndarray


@attrs.frozen(kw_only=True, eq=False)
class Decomposition:
    """An ICA of one recording in ICLabel's conventions: ``unmixing`` (n_components,
    n_channels) maps the data in uV to the ``activations``; ``mixing`` (its pseudo-inverse,
    EEGLAB's ``icawinv``) holds the components' scalp maps as columns."""

    unmixing: np.ndarray
    mixing: np.ndarray
    activations: np.ndarray


def sphere_potential(
    electrodes: np.ndarray, position: np.ndarray, moment: np.ndarray
) -> np.ndarray:
    """Potential on a homogeneous unit sphere of a current dipole inside it (sigma = 1/4 pi).

    The surface potential of a point source (Frank 1952), differentiated along the moment:
    ``V = p . [2 d / |d|^3 + (d / |d| + r) / (|d| + 1 - r0 . r)]`` with ``d = r - r0``; a
    dipole at the centre gives ``3 p . r``.

    Example:
        >>> import numpy as np
        >>> r = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
        >>> sphere_potential(r, np.zeros(3), np.array([0.0, 0.0, 1.0])).round(6).tolist()
        [3.0, 0.0]
    """
    d = electrodes - position[None, :]
    dist = np.linalg.norm(d, axis=1, keepdims=True)
    denominator = dist + 1.0 - electrodes @ position[:, None]
    field = 2 * d / dist**3 + (d / dist + electrodes) / denominator
    return np.asarray(field @ moment)


def _unit(polar_deg: float, azimuth_deg: float) -> np.ndarray:
    p, a = np.radians(polar_deg), np.radians(azimuth_deg)
    return np.array([np.sin(p) * np.sin(a), np.sin(p) * np.cos(a), np.cos(p)])


def _tilted(rng: np.random.Generator, direction: np.ndarray, degrees: float) -> np.ndarray:
    """``direction`` tilted by a random angle of about ``degrees``."""
    v = direction + np.tan(np.radians(degrees)) * rng.standard_normal(3) / np.sqrt(2)
    return v / np.linalg.norm(v)


def _bandpass(x: np.ndarray, sfreq: float) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, _BAND, btype="bandpass", fs=sfreq, output="sos")
    return np.asarray(sosfiltfilt(sos, x, axis=-1))


def _envelope(rng: np.random.Generator, n: int, sfreq: float, depth: float) -> np.ndarray:
    """A slowly waxing and waning positive amplitude (bursts), mean about 1."""
    slow = bandlimited(rng, (n,), sfreq, 0.0, 0.3)
    env = np.exp(depth * slow)
    return env / env.mean()


def _brain_activity(
    rng: np.random.Generator, n: int, sfreq: float, position: np.ndarray
) -> np.ndarray:
    front, up = position[1], position[2]
    if front < -0.25:
        peak, width = rng.normal(10.0, 0.8), 1.0  # posterior alpha
    elif front > 0.3 and up > 0.5:
        peak, width = rng.normal(6.0, 0.7), 1.0  # frontal-midline theta
    else:
        peak, width = rng.choice([rng.normal(10.5, 0.7), rng.normal(20.0, 2.0)]), 1.5
    rhythm = bandlimited(rng, (n,), sfreq, peak, width) * _envelope(rng, n, sfreq, 1.2)
    background = pink_noise(rng, (n,), exponent=2.0)
    return unit_rms(rng.uniform(1.0, 2.5) * rhythm + background)


def _blinks(rng: np.random.Generator, n: int, sfreq: float) -> np.ndarray:
    t = np.arange(n) / sfreq
    out = np.zeros(n)
    at = rng.uniform(0.5, 3.0)
    while at < t[-1] - 0.5:
        width = rng.uniform(0.2, 0.4)
        shape = np.clip((t - at) / width, 0, 1)
        out += rng.uniform(0.7, 1.3) * np.sin(np.pi * shape) ** 2
        at += rng.uniform(2.0, 6.0)
    return out


def _saccades(rng: np.random.Generator, n: int, sfreq: float) -> np.ndarray:
    out = np.zeros(n)
    start, level = 0, 0.0
    while start < n:
        stop = start + int(rng.uniform(0.3, 2.5) * sfreq)
        out[start:stop] = level
        level = float(np.clip(level + rng.normal(0, 1.0), -2, 2))
        start = stop
    ramp = np.ones(int(0.04 * sfreq)) / int(0.04 * sfreq)  # ~40 ms saccades
    return np.convolve(out, ramp, mode="same")


def _muscle(rng: np.random.Generator, n: int, sfreq: float) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, 20.0, btype="highpass", fs=sfreq, output="sos")
    emg = sosfiltfilt(sos, rng.standard_normal(n))
    bursts = 0.3 + _envelope(rng, n, sfreq, 2.0)
    return unit_rms(emg * bursts)


def _heartbeats(rng: np.random.Generator, n: int, sfreq: float) -> np.ndarray:
    lags = np.arange(-int(0.3 * sfreq), int(0.45 * sfreq)) / sfreq
    waves = (
        (-0.2, 0.025, 0.15),
        (-0.03, 0.010, -0.15),
        (0.0, 0.012, 1.0),
        (0.03, 0.010, -0.3),
        (0.25, 0.045, 0.3),
    )  # (offset s, width s, amplitude) P..T
    beat_shape = sum(a * np.exp(-0.5 * ((lags - at) / w) ** 2) for at, w, a in waves)
    out = np.zeros(n + len(lags))
    rate = rng.uniform(55, 85) / 60.0
    beat = rng.uniform(0, 1 / rate)
    while beat < n / sfreq:
        start = round(beat * sfreq)
        out[start : start + len(lags)] += beat_shape
        beat += rng.normal(1 / rate, 0.03 / rate)
    return out[-int(lags[0] * sfreq) :][:n]


def _line_noise(rng: np.random.Generator, n: int, sfreq: float) -> np.ndarray:
    t = np.arange(n) / sfreq
    mains = rng.choice([50.0, 60.0])
    amplitude = _envelope(rng, n, sfreq, 0.3)
    return unit_rms(amplitude * np.sin(2 * np.pi * mains * t + rng.uniform(0, 2 * np.pi)))


def _bad_channel(rng: np.random.Generator, n: int, sfreq: float) -> np.ndarray:
    noise = pink_noise(rng, (n,), exponent=1.2)
    pops = np.zeros(n)
    for at in rng.integers(0, n, size=int(rng.integers(2, 8))):
        pops[at:] += rng.normal(0, 3.0)  # electrode pops: sudden offsets
    return unit_rms(noise) + 0.5 * unit_rms(pops - pops.mean())


def simulate_recording(
    rng: np.random.Generator,
    *,
    ch_names: Sequence[str] = CHANNELS_32,
    sfreq: float = _FS,
    duration: float = 60.0,
) -> SimulatedRecording:
    """One recording with its labelled sources (see the module docstring)."""
    n = round(duration * sfreq)
    electrodes = electrode_xyz(ch_names)
    n_ch = len(electrodes)
    raw_sources: list[tuple[str, str, np.ndarray, np.ndarray]] = []

    def dipole(
        kind: str,
        name: str,
        position: np.ndarray,
        moment: np.ndarray,
        peak_uv: float,
        activity: np.ndarray,
    ) -> None:  # the map scaled to peak_uv at its largest channel
        topography = sphere_potential(electrodes, position, moment)
        topography = topography / np.abs(topography).max() * peak_uv
        raw_sources.append((kind, name, topography, activity))

    for k in range(int(rng.integers(8, 13))):
        position = rng.uniform(0.55, 0.8) * _unit(rng.uniform(0, 75), rng.uniform(-180, 180))
        moment = _tilted(rng, position / np.linalg.norm(position), 25)
        activity = _brain_activity(rng, n, sfreq, position)
        dipole("brain", f"brain{k}", position, moment, rng.uniform(4, 12), activity)
    eyes = 0.9 * _unit(105, 0)
    dipole("eye", "blinks", eyes, _tilted(rng, _unit(35, 0), 10), 120.0, _blinks(rng, n, sfreq))
    dipole(
        "eye",
        "saccades",
        eyes,
        _tilted(rng, np.array([1.0, 0, 0]), 10),
        rng.uniform(15, 35),
        _saccades(rng, n, sfreq),
    )
    for k in range(int(rng.integers(1, 4))):
        side = rng.choice([-1.0, 1.0])
        position = 0.92 * _unit(rng.uniform(88, 105), side * rng.uniform(60, 120))
        moment = _tilted(rng, np.cross(position, rng.standard_normal(3)), 5)
        dipole("muscle", f"muscle{k}", position, moment, rng.uniform(8, 25), _muscle(rng, n, sfreq))
    if rng.random() < 0.8:
        heart = 0.95 * _unit(165, rng.uniform(-30, 30))
        moment = _tilted(rng, np.array([0.5, 0.3, -1.0]), 30)
        dipole("heart", "ecg", heart, moment, rng.uniform(8, 20), _heartbeats(rng, n, sfreq))
    if rng.random() < 0.5:
        gains = 1.0 + 0.5 * rng.standard_normal(n_ch) + 0.3 * electrodes[:, 1]
        raw_sources.append(
            (
                "line_noise",
                "mains",
                gains / np.abs(gains).max() * rng.uniform(4, 12),
                _line_noise(rng, n, sfreq),
            )
        )
    for k in range(int(rng.choice([0, 1, 1, 2]))):
        onehot = np.zeros(n_ch)
        onehot[int(rng.integers(n_ch))] = rng.uniform(15, 40)
        raw_sources.append(
            ("channel_noise", f"bad_channel{k}", onehot, _bad_channel(rng, n, sfreq))
        )

    background = np.zeros((n_ch, n))
    for _ in range(40):
        position = rng.uniform(0.3, 0.8) * _unit(rng.uniform(0, 90), rng.uniform(-180, 180))
        topography = sphere_potential(electrodes, position, _tilted(rng, position, 60))
        background += np.outer(topography / np.abs(topography).max(), pink_noise(rng, (n,), 1.5))
    background *= 2.0 / np.sqrt(40)
    background += 0.5 * rng.standard_normal((n_ch, n))
    background = _bandpass(background - background.mean(axis=0), sfreq)

    sources = []
    data = background.copy()
    for kind, name, topography, activity in raw_sources:
        topography = topography - topography.mean()  # average reference
        activity = _bandpass(activity - activity.mean(), sfreq)
        sources.append(Source(kind=kind, name=name, topography=topography, activity=activity))
        data += np.outer(topography, activity)
    return SimulatedRecording(
        ch_names=tuple(ch_names),
        sfreq=sfreq,
        sources=tuple(sources),
        background=background,
        data=data,
    )


def decompose(data: np.ndarray, n_components: int, seed: int) -> Decomposition:
    """FastICA of ``data`` (n_channels, n_times; uV) in ICLabel's conventions.

    As MNE does before ICA, the data are divided by their standard deviation, so the
    activations are unit-variance sources times that standard deviation, the units that
    mne-icalabel computes ICLabel's features in (``weights @ data * 1e6``).
    """
    import warnings

    from sklearn.decomposition import FastICA
    from sklearn.exceptions import ConvergenceWarning

    scale = float(np.std(data))
    ica = FastICA(
        n_components=n_components, whiten="unit-variance", max_iter=400, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ica.fit((data / scale).T)
    unmixing = ica.components_  # fitted on data / scale, applied to data: sources x scale
    return Decomposition(
        unmixing=unmixing, mixing=np.linalg.pinv(unmixing), activations=unmixing @ data
    )


@attrs.frozen(kw_only=True, eq=False)
class ComponentLabels:
    """Per component: class index, the best-matching source, and that source's share."""

    labels: np.ndarray
    best_source: tuple[str, ...]
    best_kind: tuple[str, ...]
    best_share: np.ndarray


def label_components(
    recording: SimulatedRecording, decomposition: Decomposition, threshold: float = DOMINANT_SHARE
) -> ComponentLabels:
    """Each component's class by its dominant source (see the module docstring)."""
    activations = decomposition.unmixing @ recording.data
    total = activations.var(axis=1)
    shares = (
        np.array(
            [
                (decomposition.unmixing @ s.topography) ** 2 * s.activity.var()
                for s in recording.sources
            ]
        ).T
        / total[:, None]
    )  # (n_components, n_sources)
    best = shares.argmax(axis=1)
    best_share = shares[np.arange(len(best)), best]
    other = CLASS_NAMES.index("other")
    labels = np.array(
        [
            CLASS_NAMES.index(recording.sources[b].kind) if share >= threshold else other
            for b, share in zip(best, best_share, strict=True)
        ]
    )
    return ComponentLabels(
        labels=labels,
        best_source=tuple(recording.sources[b].name for b in best),
        best_kind=tuple(recording.sources[b].kind for b in best),
        best_share=best_share,
    )


def generate_eeg_iclabel(folder: Path, seed: int = 42, n_recordings: int = 24) -> None:
    """Write ``DS-NEURO-EEG-ICLABEL`` into ``folder``: one row of ICLabel features per
    independent component of ``n_recordings`` simulated recordings."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # small matrices: threads only add overhead (and noise)
        _generate(folder, seed, n_recordings)


def _generate(folder: Path, seed: int, n_recordings: int) -> None:
    rng = np.random.default_rng(seed)
    theta, radius = polar_coordinates(CHANNELS_32)
    rows, labels = [], []
    meta: dict[str, list[object]] = {
        k: []
        for k in (
            "recording_id",
            "component",
            "ic_class",
            "best_source",
            "best_kind",
            "best_share",
        )
    }
    for r in range(n_recordings):
        recording = simulate_recording(rng)
        decomposition = decompose(recording.data, len(recording.sources), seed + r)
        found = label_components(recording, decomposition)
        features = iclabel_features(
            decomposition.mixing, decomposition.activations, recording.sfreq, theta, radius
        )
        rows.append(features.rows())
        labels.append(found.labels)
        for c, label in enumerate(found.labels):
            meta["recording_id"].append(f"rec-{r:03d}")
            meta["component"].append(c)
            meta["ic_class"].append(CLASS_NAMES[int(label)])
            meta["best_source"].append(found.best_source[c])
            meta["best_kind"].append(found.best_kind[c])
            meta["best_share"].append(round(float(found.best_share[c]), 4))
    write_array_dataset(
        folder,
        X=np.concatenate(rows).astype(np.float32),
        y=np.concatenate(labels).astype(np.int64),
        metadata=meta,
        info={
            "dataset_id": "DS-NEURO-EEG-ICLABEL",
            "modality": "eeg",
            "task": "classification",
            "n_classes": len(CLASS_NAMES),
            "class_names": list(CLASS_NAMES),
            "sampling_freq": _FS,
            "ch_names": list(CHANNELS_32),
            "features": "ICLabel: 32x32 topography (row-major), 100 PSD, 100 autocorrelation",
            "dominant_share": DOMINANT_SHARE,
            "seed": seed,
            "description": "synthetic EEG with known sources (brain dipoles, blinks, saccades, "
            "muscle, ECG, mains, bad channels) on a spherical head, FastICA per recording; "
            "each component labelled by the source that explains at least "
            f"{DOMINANT_SHARE:.0%} of its variance, else 'other'",
        },
    )
