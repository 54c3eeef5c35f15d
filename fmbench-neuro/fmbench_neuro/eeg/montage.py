"""Electrode positions of the 10-10 system on an idealised spherical head.

Positions are built from the placement rules, not read from a file, on the idealised spherical
head of BESA and EEGLAB's standard caps: the nasion-inion and ear-to-ear arcs are great
circles spanning 230 degrees, so a 10 % step is 23 degrees and the outer ring (Fp1, F7, T7,
P7, O1...) lies 92 degrees from the vertex. Every row (AF, F, FC, C, CP, P, PO) runs on the
great circle from its midline electrode (AFz 69 degrees from the vertex, Fz 46, FCz 23, Cz 0,
CPz 23 towards the back...) to its outer electrode (AF7 36 degrees from the nose, F7 54, FT7
72, T7 90...), and electrodes 1, 3, 5, 7 (left) and 2, 4, 6, 8 (right) sit at 1/4, 2/4, 3/4
and 4/4 of that arc. Real caps on real heads differ by some degrees; these are the positions
topography code assumes when it has no measured ones.

Coordinates: ``xyz`` in MNE's head frame (x to the right ear, y to the nose, z up; unit
radius); ``polar_coordinates`` in EEGLAB's topographic convention (``theta`` in degrees,
0 = nose, positive towards the right; ``radius`` = angle from the vertex / 180, so 0.5 is the
ear/nasion line), which is what ICLabel's topography feature uses.

Example:
    >>> import numpy as np
    >>> xyz = electrode_xyz(["Cz", "Fz", "T8"])
    >>> np.round(xyz, 3).tolist()
    [[0.0, 0.0, 1.0], [0.0, 0.719, 0.695], [0.999, 0.0, -0.035]]
    >>> theta, radius = polar_coordinates(["Fpz", "T7"])
    >>> np.round(theta, 1).tolist(), np.round(radius, 3).tolist()
    ([0.0, -90.0], [0.511, 0.511])
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["CHANNELS_32", "electrode_xyz", "polar_coordinates"]

#: A common 32-electrode 10-10 layout (the BioSemi/actiCAP 32-channel sets use these names).
CHANNELS_32 = ("Fp1", "Fp2", "AF3", "AF4", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1", "FC2",
               "FC6", "T7", "C3", "Cz", "C4", "T8", "CP5", "CP1", "CP2", "CP6", "P7", "P3",
               "Pz", "P4", "P8", "PO3", "PO4", "O1", "Oz", "O2")  # fmt: skip

_STEP = 23.0  # degrees of arc per 10 % of the 230-degree nasion-inion arc
_OUTER_RING = 4 * _STEP  # Fpz, T7, Oz... : 92 degrees from the vertex
#: row -> (midline angle from the vertex, towards the back?, outer electrode azimuth)
_ROWS = {
    "AF": (3 * _STEP, False, 36.0),
    "F": (2 * _STEP, False, 54.0),
    "FC": (_STEP, False, 72.0),
    "C": (0.0, False, 90.0),
    "CP": (_STEP, True, 108.0),
    "P": (2 * _STEP, True, 126.0),
    "PO": (3 * _STEP, True, 144.0),
}
_RING = {"Fp": 18.0, "O": 162.0}  # on the outer ring; 1 = left, 2 = right, z = midline
_OLD_NAMES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
_NAME = re.compile(r"^([A-Za-z]+?)(z|Z|\d+)$")


def _unit(polar_deg: float, azimuth_deg: float) -> np.ndarray:
    """A point on the unit sphere: ``polar`` from the vertex, ``azimuth`` from the nose
    (positive to the right)."""
    p, a = np.radians(polar_deg), np.radians(azimuth_deg)
    return np.array([np.sin(p) * np.sin(a), np.sin(p) * np.cos(a), np.cos(p)])


def _slerp(start: np.ndarray, end: np.ndarray, fraction: float) -> np.ndarray:
    """The point at ``fraction`` of the great-circle arc from ``start`` to ``end``."""
    angle = float(np.arccos(np.clip(start @ end, -1.0, 1.0)))
    if angle == 0.0:
        return start.copy()
    return (np.sin((1 - fraction) * angle) * start + np.sin(fraction * angle) * end) / np.sin(angle)


def _position(name: str) -> np.ndarray:
    canonical = _OLD_NAMES.get(name, name)
    match = _NAME.match(canonical)
    if match is None:
        raise ValueError(f"channel {name!r}: not a 10-10 electrode name (e.g. Fz, C3, PO4)")
    row, number = match.group(1).upper(), match.group(2)
    row = {"FP": "Fp", "FT": "FC", "T": "C", "TP": "CP"}.get(row, row)
    if row in _RING:
        if number.lower() == "z":
            return _unit(_OUTER_RING, 0.0 if row == "Fp" else 180.0)
        if number in ("1", "2"):
            return _unit(_OUTER_RING, _RING[row] * (-1 if number == "1" else 1))
    elif row in _ROWS:
        midline_angle, back, outer_azimuth = _ROWS[row]
        midline = _unit(midline_angle, 180.0 if back else 0.0)
        if number.lower() == "z":
            return midline
        k = int(number)
        if 1 <= k <= 8:
            side = -1.0 if k % 2 else 1.0
            outer = _unit(_OUTER_RING, side * outer_azimuth)
            return _slerp(midline, outer, ((k + 1) // 2) / 4)
    raise ValueError(
        f"channel {name!r}: no position in the 10-10 rules used here (rows Fp, AF, F, FC/FT, "
        "C/T, CP/TP, P, PO, O; numbers 1-8 and z)"
    )


def electrode_xyz(ch_names: Sequence[str]) -> np.ndarray:
    """Unit-sphere positions (n_channels, 3) in MNE's head frame (x right, y nose, z up).

    Example:
        >>> electrode_xyz(["C3"]).round(3).tolist()
        [[-0.719, 0.0, 0.695]]
    """
    xyz = np.array([_position(str(name)) for name in ch_names])
    distinct = {tuple(np.round(p, 9)) for p in xyz}
    if len(distinct) != len(xyz):
        raise ValueError(f"channels {list(ch_names)}: two names share one position")
    return xyz


def polar_coordinates(ch_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """EEGLAB topographic coordinates: ``theta`` (degrees, 0 = nose, + = right) and
    ``radius`` (angle from the vertex / 180).

    Example:
        >>> theta, radius = polar_coordinates(["C4"])
        >>> float(theta[0]), float(radius[0])
        (90.0, 0.25555555555555554)
    """
    xyz = electrode_xyz(ch_names)
    theta = np.degrees(np.arctan2(xyz[:, 0], xyz[:, 1]))
    radius = np.degrees(np.arccos(np.clip(xyz[:, 2], -1.0, 1.0))) / 180.0
    return theta, radius
