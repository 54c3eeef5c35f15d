"""One continuous EEG recording, as every reader of this package returns it.

Example:
    >>> import numpy as np
    >>> from pathlib import Path
    >>> rec = Recording(Path("a.edf"), np.zeros((2, 256)), 128.0, ["Fz", "Cz"], unit="uV")
    >>> rec.data.shape, rec.sfreq, rec.unit
    ((2, 256), 128.0, 'uV')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["Recording", "normalise_unit"]


class Recording:
    """One continuous recording: data (channels, samples), rate in Hz, channel names, unit.

    ``unit`` is the physical unit of ``data`` (``"uV"`` for microvolts) or None where the
    file does not declare one unit for all its channels.
    """

    def __init__(
        self,
        path: Path,
        data: np.ndarray,
        sfreq: float,
        ch_names: list[str],
        unit: str | None = None,
    ) -> None:
        self.path = path
        self.data = data
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.unit = unit


def normalise_unit(text: str) -> str | None:
    """``"µV"``/``"μV"``/``"uv"`` -> ``"uV"``; empty -> None; others kept as written.

    Example:
        >>> normalise_unit("µV"), normalise_unit(" "), normalise_unit("mV")
        ('uV', None, 'mV')
    """
    unit = text.strip().replace("\u00b5", "u").replace("\u03bc", "u")
    if not unit:
        return None
    return "uV" if unit.lower() == "uv" else unit
