"""The EEG channel layouts BENDR and LaBraM were trained with, and how names are matched.

Example:
    >>> len(DEEP_1010_CHANNELS), DEEP_1010_EEG_COUNT, BENDR_CHANNELS[:3]
    (90, 77, ('FP1', 'FP2', 'F7'))
    >>> deep1010_name("EEG Fp1-REF"), deep1010_name("Cz.."), labram_index("Fp1")
    ('FP1', 'CZ', 0)
"""

from __future__ import annotations

__all__ = [
    "BENDR_CHANNELS",
    "DEEP_1010_CHANNELS",
    "DEEP_1010_EEG_COUNT",
    "LABRAM_CHANNELS",
    "deep1010_name",
    "labram_index",
]

_LEFT, _RIGHT = (7, 5, 3, 1), (2, 4, 6, 8)

#: DN3's Deep1010 layout (SPOClab-ca/dn3, ``dn3/transforms/channels.py``,
#: ``DEEP_1010_CHS_LISTING``): 77 EEG positions, 4 EOG, 3 references, SCALE, 5 extra.
DEEP_1010_CHANNELS: tuple[str, ...] = (
    "NZ", "FP1", "FPZ", "FP2", "AF7", "AF3", "AFZ", "AF4", "AF8",
    "F9", *(f"F{n}" for n in _LEFT), "FZ", *(f"F{n}" for n in _RIGHT), "F10",
    "FT9", "FT7", *(f"FC{n}" for n in _LEFT[1:]), "FCZ", *(f"FC{n}" for n in _RIGHT[:-1]),
    "FT8", "FT10",
    "T9", "T7", "T3", *(f"C{n}" for n in _LEFT[1:]), "CZ", *(f"C{n}" for n in _RIGHT[:-1]),
    "T4", "T8", "T10",
    "TP9", "TP7", *(f"CP{n}" for n in _LEFT[1:]), "CPZ", *(f"CP{n}" for n in _RIGHT[:-1]),
    "TP8", "TP10",
    "P9", "P7", "T5", *(f"P{n}" for n in _LEFT[1:]), "PZ", *(f"P{n}" for n in _RIGHT[:-1]),
    "T6", "P8", "P10",
    "PO7", "PO3", "POZ", "PO4", "PO8", "O1", "OZ", "O2", "IZ",
    "VEOGL", "VEOGR", "HEOGL", "HEOGR", "A1", "A2", "REF", "SCALE",
    *(f"EX{n}" for n in range(1, 6)),
)  # fmt: skip
DEEP_1010_EEG_COUNT = DEEP_1010_CHANNELS.index("VEOGL")

#: BENDR's input channels: DN3's ``To1020.EEG_20_div`` (``dn3/transforms/instance.py``), in
#: this order, then the relative-amplitude ("scale") channel: 20 in all.
BENDR_CHANNELS: tuple[str, ...] = (
    "FP1", "FP2", "F7", "F3", "FZ", "F4", "F8", "T7", "C3", "CZ", "C4", "T8",
    "T5", "P3", "PZ", "P4", "T6", "O1", "O2",
)  # fmt: skip

#: LaBraM's ``standard_1020`` list (935963004/LaBraM, ``utils.py``); a channel's position
#: embedding is its index here + 1 (``get_input_chans``; index 0 is the CLS token).
LABRAM_CHANNELS: tuple[str, ...] = (
    "FP1", "FPZ", "FP2",
    "AF9", "AF7", "AF5", "AF3", "AF1", "AFZ", "AF2", "AF4", "AF6", "AF8", "AF10",
    "F9", "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8", "F10",
    "FT9", "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8", "FT10",
    "T9", "T7", "C5", "C3", "C1", "CZ", "C2", "C4", "C6", "T8", "T10",
    "TP9", "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6", "TP8", "TP10",
    "P9", "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8", "P10",
    "PO9", "PO7", "PO5", "PO3", "PO1", "POZ", "PO2", "PO4", "PO6", "PO8", "PO10",
    "O1", "OZ", "O2", "O9", "CB1", "CB2",
    "IZ", "O10", "T3", "T5", "T4", "T6", "M1", "M2", "A1", "A2",
    "CFC1", "CFC2", "CFC3", "CFC4", "CFC5", "CFC6", "CFC7", "CFC8",
    "CCP1", "CCP2", "CCP3", "CCP4", "CCP5", "CCP6", "CCP7", "CCP8",
    "T1", "T2", "FTT9h", "TTP7h", "TPP9h", "FTT10h", "TPP8h", "TPP10h",
    "FP1-F7", "F7-T7", "T7-P7", "P7-O1", "FP2-F8", "F8-T8", "T8-P8", "P8-O2",
    "FP1-F3", "F3-C3", "C3-P3", "P3-O1", "FP2-F4", "F4-C4", "C4-P4", "P4-O2",
)  # fmt: skip
_LABRAM_UPPER = {name.upper(): i for i, name in enumerate(LABRAM_CHANNELS)}

_INFORMATIVE = frozenset("".join(DEEP_1010_CHANNELS[:DEEP_1010_EEG_COUNT]))


def deep1010_name(label: str) -> str | None:
    """The Deep1010 EEG position a channel label maps to, or None.

    DN3's ``_heuristic_eeg_resolution``: upper-case, drop ``EEG`` and ``REF``, keep only the
    characters that occur in Deep1010 EEG names; the result must be a Deep1010 EEG name.
    """
    text = label.upper().replace("EEG", "").replace("REF", "")
    name = "".join(c for c in text if c in _INFORMATIVE)
    return name if name in DEEP_1010_CHANNELS[:DEEP_1010_EEG_COUNT] else None


def labram_index(label: str) -> int | None:
    """The index of a channel in LaBraM's ``standard_1020`` list (case-insensitive; ``EEG``
    prefixes and ``-REF``/``-LE`` suffixes of TUH-style labels removed), or None."""
    text = label.strip().upper()
    text = text.removeprefix("EEG").strip().rstrip(".")
    for suffix in ("-REF", "-LE"):
        text = text.removesuffix(suffix)
    return _LABRAM_UPPER.get(text)
