"""ICLabel's network inputs: how the ``onnx`` adapter feeds ICLabelNet from feature rows.

ICLabelNet (Pion-Tonachini, Kreutz-Delgado and Makeig 2019, as exported to ONNX by
mne-icalabel) takes three inputs, ``topo`` (4n, 1, 32, 32), ``psds`` (4n, 1, 1, 100) and
``autocorr`` (4n, 1, 1, 100), and returns ``labels`` (n, 7): class probabilities averaged
over four copies of each component that the caller must provide, in blocks of n: the
topography, its negative, its left-right mirror image and the negative of that (the spectrum
and autocorrelation repeated). :func:`onnx_input_feed` builds them from the rows of
:mod:`fmbench_neuro.eeg.iclabel_features` exactly as mne-icalabel's ``_format_input`` and
``_format_input_for_onnx`` do; a model config names it as ``input_feed``.

Example:
    >>> import numpy as np
    >>> from fmbench_neuro.eeg.iclabel_features import N_FEATURES
    >>> feed = onnx_input_feed(np.zeros((3, N_FEATURES), dtype=np.float32))
    >>> {name: array.shape for name, array in feed.items()}
    {'topo': (12, 1, 32, 32), 'psds': (12, 1, 1, 100), 'autocorr': (12, 1, 1, 100)}
    >>> CLASS_NAMES[0], CLASS_NAMES[-1]
    ('brain', 'other')
"""

from __future__ import annotations

import numpy as np

from fmbench_neuro.eeg.iclabel_features import split_rows

__all__ = ["CLASS_NAMES", "onnx_input_feed"]

#: ICLabel's seven classes, in the order of the network's output columns.
CLASS_NAMES = ("brain", "muscle", "eye", "heart", "line_noise", "channel_noise", "other")


def onnx_input_feed(rows: np.ndarray) -> dict[str, np.ndarray]:
    """ICLabelNet's three inputs for a batch of feature rows (n, 1224), with ICLabel's
    four-fold sign and mirror augmentation."""
    features = split_rows(rows)
    topo = features.topo
    mirrored = topo[:, :, ::-1]
    n = len(topo)
    return {
        "topo": np.concatenate([topo, -topo, mirrored, -mirrored])[:, None, :, :],
        "psds": np.tile(features.psd, (4, 1)).reshape(4 * n, 1, 1, -1),
        "autocorr": np.tile(features.autocorr, (4, 1)).reshape(4 * n, 1, 1, -1),
    }
