"""The three features ICLabel classifies an independent component from, as ICLabel defines them.

A faithful NumPy/SciPy port of EEGLAB's ICLabel feature code as mne-icalabel 0.10 implements
it (``mne_icalabel.iclabel.features``; Pion-Tonachini et al. 2019), for continuous recordings
longer than 5 s, and checked against mne-icalabel's own functions in the tests:

- **topography**: the component's scalp map (a column of the mixing matrix, EEGLAB's
  ``icawinv``) interpolated onto a 32 x 32 grid by MATLAB v4 biharmonic-spline ``griddata``
  (Sandwell 1987) in EEGLAB's polar electrode coordinates, NaN (outside the head disc) set to
  0, divided by its largest absolute value (``topoplotFast.m``);
- **power spectrum**: the median over 1-s Hamming windows with 50 % overlap of the power at
  1..100 Hz, as ``20 log10`` (EEGLAB's choice), a 50/60 Hz notch dip filled in, divided by its
  largest absolute value (``eeg_rpsd.m``);
- **autocorrelation**: Welch autocorrelation over 3-s segments with 50 % overlap, normalised
  by lag 0 and the overlap count, lags 0..1 s resampled to 100 Hz (lags 10 ms..1 s kept)
  (``eeg_autocorr_welch.m``).

Each is multiplied by 0.99, as ICLabel does. ``activations`` must be in ICLabel's units: the
unmixing matrix applied to the data in microvolts (mne-icalabel's ``weights @ data * 1e6``),
since the spectrum is taken in dB before it is normalised.

One component's features make one row of :data:`N_FEATURES` values (topography row-major,
then spectrum, then autocorrelation); :func:`split_rows` undoes :meth:`ICLabelFeatures.rows`.

Example:
    >>> import numpy as np
    >>> from fmbench_neuro.eeg.montage import CHANNELS_32, polar_coordinates
    >>> rng = np.random.default_rng(0)
    >>> theta, radius = polar_coordinates(CHANNELS_32)
    >>> mixing = rng.standard_normal((32, 3))
    >>> activations = rng.standard_normal((3, 250 * 10)) * 5
    >>> features = iclabel_features(mixing, activations, 250.0, theta, radius)
    >>> features.topo.shape, features.psd.shape, features.autocorr.shape
    ((3, 32, 32), (3, 100), (3, 100))
    >>> features.rows().shape == (3, N_FEATURES)
    True
"""

from __future__ import annotations

import attrs
import numpy as np

__all__ = [
    "FEATURE_SLICES",
    "GRID",
    "N_FEATURES",
    "ICLabelFeatures",
    "autocorrelation_feature",
    "iclabel_features",
    "spectrum_feature",
    "split_rows",
    "topography_images",
]

#: Pixels per side of the topography image.
GRID = 32
#: Where each feature lies in a component's row of values.
FEATURE_SLICES = {
    "topo": slice(0, GRID * GRID),
    "psd": slice(GRID * GRID, GRID * GRID + 100),
    "autocorr": slice(GRID * GRID + 100, GRID * GRID + 200),
}
#: Values per component: 32 x 32 topography + 100 spectrum + 100 autocorrelation.
N_FEATURES = GRID * GRID + 200
_SCALE = 0.99  # ICLabel's final scaling of every feature
_HEAD_RADIUS = 0.5  # EEGLAB's head disc in topographic units (rmax)


@attrs.frozen(kw_only=True, eq=False)
class ICLabelFeatures:
    """ICLabel's features of ``n`` components: ``topo`` (n, 32, 32), ``psd`` (n, 100) and
    ``autocorr`` (n, 100), float32."""

    topo: np.ndarray
    psd: np.ndarray
    autocorr: np.ndarray

    def rows(self) -> np.ndarray:
        """One row of :data:`N_FEATURES` float32 values per component."""
        n = len(self.topo)
        return np.concatenate([self.topo.reshape(n, -1), self.psd, self.autocorr], axis=1).astype(
            np.float32
        )


def split_rows(rows: np.ndarray) -> ICLabelFeatures:
    """The features packed by :meth:`ICLabelFeatures.rows`.

    Example:
        >>> import numpy as np
        >>> split_rows(np.zeros((2, N_FEATURES))).topo.shape
        (2, 32, 32)
    """
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim != 2 or rows.shape[1] != N_FEATURES:
        raise ValueError(
            f"ICLabel feature rows have shape (n, {N_FEATURES}) (32 x 32 topography, 100 "
            f"spectrum, 100 autocorrelation values); got {rows.shape}"
        )
    return ICLabelFeatures(
        topo=rows[:, FEATURE_SLICES["topo"]].reshape(-1, GRID, GRID),
        psd=rows[:, FEATURE_SLICES["psd"]],
        autocorr=rows[:, FEATURE_SLICES["autocorr"]],
    )


def iclabel_features(
    mixing: np.ndarray,
    activations: np.ndarray,
    sfreq: float,
    theta: np.ndarray,
    radius: np.ndarray,
) -> ICLabelFeatures:
    """ICLabel's features of every component.

    Args:
        mixing: (n_channels, n_components), each column a component's scalp map (``icawinv``).
        activations: (n_components, n_times) in ICLabel's units (see the module docstring).
        sfreq: sampling frequency in Hz.
        theta, radius: EEGLAB polar coordinates of the channels (degrees; angle / 180), as
            :func:`fmbench_neuro.eeg.montage.polar_coordinates` gives them.
    """
    mixing = np.asarray(mixing, dtype=np.float64)
    activations = np.asarray(activations, dtype=np.float64)
    if mixing.ndim != 2 or activations.ndim != 2 or mixing.shape[1] != activations.shape[0]:
        raise ValueError(
            f"mixing {mixing.shape} and activations {activations.shape} do not match: expected "
            "(n_channels, n_components) and (n_components, n_times)"
        )
    return ICLabelFeatures(
        topo=topography_images(mixing, theta, radius),
        psd=spectrum_feature(activations, sfreq),
        autocorr=autocorrelation_feature(activations, sfreq),
    )


def _biharmonic(d: np.ndarray) -> np.ndarray:
    """Green's function of the biharmonic operator in 2-D, ``d**2 (ln d - 1)``, 0 at d = 0."""
    out = np.zeros_like(d)
    positive = ~np.isclose(d, 0)
    out[positive] = d[positive] ** 2 * (np.log(d[positive]) - 1)
    return out


def topography_images(mixing: np.ndarray, theta: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Scalp maps on ICLabel's 32 x 32 grid, (n_components, 32, 32) float32, times 0.99.

    Example:
        >>> import numpy as np
        >>> from fmbench_neuro.eeg.montage import polar_coordinates
        >>> theta, radius = polar_coordinates(["Fz", "Cz", "Pz", "C3", "C4"])
        >>> image = topography_images(np.eye(5)[:, :1], theta, radius)[0]
        >>> round(float(abs(image).max()), 6), float(image[0, 0])  # corners lie outside the head
        (0.99, 0.0)
    """
    theta = np.radians(np.asarray(theta, dtype=np.float64).ravel())
    radius = np.asarray(radius, dtype=np.float64).ravel()
    mixing = np.asarray(mixing, dtype=np.float64)
    if len(theta) != len(radius) or len(theta) != mixing.shape[0]:
        raise ValueError(
            f"{mixing.shape[0]} channels in the mixing matrix, {len(theta)} theta and "
            f"{len(radius)} radius values: they must agree"
        )
    x, y = radius * np.cos(theta), radius * np.sin(theta)
    plot_radius = max(min(1.0, float(np.max(radius)) * 1.02), _HEAD_RADIUS)
    squeeze = _HEAD_RADIUS / plot_radius
    x, y = x * squeeze, y * squeeze
    points = x + 1j * y
    if len(np.unique(np.round(points, 9))) != len(points):
        raise ValueError("two channels share one position; ICLabel's topography needs distinct")
    xi = np.linspace(min(-_HEAD_RADIUS, x.min()), max(_HEAD_RADIUS, x.max()), GRID)
    yi = np.linspace(min(-_HEAD_RADIUS, y.min()), max(_HEAD_RADIUS, y.max()), GRID)
    xq, yq = np.meshgrid(xi, yi)
    # biharmonic spline weights (MATLAB griddata 'v4'), every component at once
    green = _biharmonic(np.abs(points[:, None] - points[None, :]))
    np.fill_diagonal(green, 0.0)
    weights = np.linalg.lstsq(green, mixing, rcond=None)[0]
    grid = (xq + 1j * yq).ravel()
    values = _biharmonic(np.abs(grid[:, None] - points[None, :])) @ weights  # (1024, n)
    images = values.T.reshape(-1, GRID, GRID).transpose(0, 2, 1)  # EEGLAB's Zi.'
    outside = np.sqrt(xq**2 + yq**2) > _HEAD_RADIUS
    images[:, outside] = 0.0
    peak = np.abs(images).reshape(len(images), -1).max(axis=1)
    images /= np.where(peak > 0, peak, 1.0)[:, None, None]
    return (images * _SCALE).astype(np.float32)


def _segment_index(n_times: int, n_points: int) -> np.ndarray:
    """Start + offset of every segment of ``n_points`` with 50 % overlap (n_points, n_seg)."""
    cutoff = np.floor(n_times / n_points) * n_points
    starts = np.ceil(np.arange(0, cutoff - n_points + n_points / 2, n_points / 2))
    return (starts[None, :] + np.arange(n_points)[:, None]).astype(int)


def spectrum_feature(activations: np.ndarray, sfreq: float) -> np.ndarray:
    """ICLabel's power-spectrum feature, (n_components, 100) float32, times 0.99."""
    activations = np.asarray(activations, dtype=np.float64)
    n_times = activations.shape[1]
    nyquist = int(np.floor(sfreq / 2))
    n_freqs = min(nyquist, 100)
    n_points = min(n_times, int(sfreq))
    window = np.hamming(n_points)
    index = _segment_index(n_times, n_points)
    denominator = sfreq * np.sum(window**2)
    segments = activations[:, index] * window[None, :, None]  # (n, n_points, n_seg)
    spectrum = np.fft.fft(segments, n_points, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2)[:, 1 : n_freqs + 1, :] * 2 / denominator
    if n_freqs == nyquist:
        power[:, -1, :] /= 2
    psd = 20 * np.log10(np.median(power, axis=2))
    if n_freqs < 100:  # extend with the last value, as ICLabel does
        psd = np.concatenate([psd, np.repeat(psd[:, -1:], 100 - n_freqs, axis=1)], axis=1)
    for line in (50, 60):  # fill in the dip a notch filter left at the mains frequency
        at, around = line - 1, [line - 2, line]
        notched = np.all(psd[:, around] - psd[:, [at]] > 5, axis=1)
        psd[notched, at] = psd[notched][:, around].mean(axis=1)
    psd = psd / np.abs(psd).max(axis=1, keepdims=True)
    return (psd * _SCALE).astype(np.float32)


def autocorrelation_feature(activations: np.ndarray, sfreq: float) -> np.ndarray:
    """ICLabel's autocorrelation feature, (n_components, 100) float32, times 0.99.

    Only the Welch form for recordings longer than 5 s is implemented (ICLabel uses other
    forms for shorter recordings and for epochs).
    """
    from scipy.signal import resample_poly

    activations = np.asarray(activations, dtype=np.float64)
    n_times = activations.shape[1]
    if n_times / sfreq <= 5:
        raise ValueError(
            f"recording of {n_times / sfreq:.2f} s: ICLabel's Welch autocorrelation needs more "
            "than 5 s (shorter recordings and epochs are not supported here)"
        )
    n_points = min(n_times, int(sfreq * 3))
    n_fft = 1 << (2 * n_points - 2).bit_length()  # 2 ** nextpow2(2 * n_points - 1)
    index = _segment_index(n_times, n_points)
    spectra = np.fft.fft(activations[:, index], n_fft, axis=1)  # (n, n_fft, n_seg)
    power = np.mean(spectra.real**2 + spectra.imag**2, axis=2)
    ac = np.fft.ifft(power, axis=1)[:, : int(sfreq) + 1]
    overlap = np.arange(n_points, n_points - int(sfreq), -1)
    overlap = np.append(overlap, max(1, n_points - int(sfreq)))
    ac = ac / (ac[:, :1] * overlap[None, :] / n_points)
    down = int(sfreq)
    if ac.shape[1] * 100 / down > 101:
        down += 1
    resampled = np.real(resample_poly(ac.T, 100, down).T)[:, 1:]
    if resampled.shape[1] != 100:
        raise ValueError(
            f"sfreq {sfreq}: the autocorrelation resamples to {resampled.shape[1]} "
            "lags instead of ICLabel's 100"
        )
    return (resampled * _SCALE).astype(np.float32)
