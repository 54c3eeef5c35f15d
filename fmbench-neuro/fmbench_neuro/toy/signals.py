"""Building blocks of synthetic neural signals: 1/f background, band-limited rhythms.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pink_noise(rng, (2, 3, 256), exponent=1.0).shape
    (2, 3, 256)
"""

from __future__ import annotations

import numpy as np

__all__ = ["bandlimited", "pink_noise", "unit_rms"]


def unit_rms(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Scale to unit RMS along ``axis``."""
    rms = np.sqrt(np.mean(x**2, axis=axis, keepdims=True))
    return x / np.where(rms > 0, rms, 1.0)


def pink_noise(
    rng: np.random.Generator, shape: tuple[int, ...], exponent: float = 1.0
) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (unit RMS along the last axis)."""
    n = shape[-1]
    spectrum = rng.standard_normal((*shape[:-1], n // 2 + 1)) + 1j * rng.standard_normal(
        (*shape[:-1], n // 2 + 1)
    )
    freqs = np.arange(n // 2 + 1, dtype=float)
    freqs[0] = 1.0
    spectrum = spectrum / freqs ** (exponent / 2)
    spectrum[..., 0] = 0.0
    return unit_rms(np.fft.irfft(spectrum, n=n))


def bandlimited(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    fs: float,
    centre: np.ndarray | float,
    width: float,
) -> np.ndarray:
    """A rhythm: noise with a Gaussian spectral peak at ``centre`` Hz (unit RMS).

    ``centre`` may vary per leading index (broadcast against ``shape[:-1]``), so each
    subject or window can have its own peak frequency.
    """
    n = shape[-1]
    freqs = np.fft.rfftfreq(n, d=1.0 / fs)
    centre_arr = np.asarray(centre, dtype=float)[..., None]
    gain = np.exp(-0.5 * ((freqs - centre_arr) / width) ** 2)
    spectrum = rng.standard_normal((*shape[:-1], len(freqs))) + 1j * rng.standard_normal(
        (*shape[:-1], len(freqs))
    )
    return unit_rms(np.fft.irfft(spectrum * gain, n=n))
