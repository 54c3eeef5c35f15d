"""EEG recipes: BENDR's 20-channel min-max scaled input and LaBraM's 200 Hz channel patches.

Both read windows (n, channels, samples) and the dataset's ``ch_names`` and
``sampling_freq`` (``info.json``); LaBraM also its ``unit``.

Example:
    >>> import numpy as np
    >>> nearest_resize(np.arange(5.0)[None, :], 8).tolist()
    [[0.0, 0.0, 1.0, 1.0, 2.0, 3.0, 3.0, 4.0]]
    >>> dn3_decimation(1000.0, 256.0), dn3_decimation(160.0, 256.0)
    (3, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import attrs
import numpy as np

from fmbench.adapters.recipes.base import (
    ModelInputs,
    Recipe,
    RecipeContext,
    RecipeParams,
    dense_rows,
    info_list,
)
from fmbench.adapters.recipes.eeg_channels import (
    BENDR_CHANNELS,
    DEEP_1010_CHANNELS,
    DEEP_1010_EEG_COUNT,
    LABRAM_CHANNELS,
    deep1010_name,
    labram_index,
)
from fmbench.errors import DataError

__all__ = [
    "BENDR_SFREQ",
    "LABRAM_POSITIONS",
    "LABRAM_SFREQ",
    "BENDRRecipe",
    "LaBraMRecipe",
    "bendr_inputs",
    "dn3_decimation",
    "labram_patches",
    "microvolts_per_unit",
    "nearest_resize",
]

BENDR_SFREQ = 256.0
LABRAM_SFREQ = 200.0
#: LaBraM's ``pos_embed`` has 128 + 1 entries (``modeling_finetune.py``): the bipolar names at
#: the end of ``standard_1020`` beyond entry 128 have no position.
LABRAM_POSITIONS = 128


def _sampling_freq(info: Mapping[str, Any], recipe: str) -> float:
    value = info.get("sampling_freq")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise DataError(
            f"the {recipe} recipe needs the dataset's sampling_freq (Hz, in info.json); "
            f"got {value!r}"
        )
    return float(value)


def microvolts_per_unit(unit: str) -> float:
    """How many microvolts one unit of the data is (``uV`` 1, ``mV`` 1000, ``V`` 1e6).

    Example:
        >>> microvolts_per_unit("µV"), microvolts_per_unit("V")
        (1.0, 1000000.0)
    """
    text = unit.strip().replace("\u00b5", "u").replace("\u03bc", "u").lower()
    table = {"uv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3}
    if text not in table:
        raise DataError(f"EEG unit {unit!r} is not a voltage unit fmbench knows (uV, mV, V, nV)")
    return table[text]


# --- BENDR -------------------------------------------------------------------------------


def dn3_decimation(sfreq: float, target: float) -> int:
    """The integer decimation DN3 applies first (``dn3/configuratron/config.py``,
    ``_prepare_session``): the largest d with ``sfreq // d >= target``, at least 1."""
    d = 1
    while sfreq // (d + 1) >= target:
        d += 1
    return d


def nearest_resize(x: np.ndarray, length: int) -> np.ndarray:
    """Resample the last axis to ``length`` samples by nearest neighbour, as
    ``torch.nn.functional.interpolate(mode="nearest")`` does (DN3's ``TemporalInterpolation``):
    output sample i takes input sample floor(i * in/out), computed in float32."""
    scale = np.float32(x.shape[-1] / length)
    index = np.floor(np.arange(length, dtype=np.float32) * scale).astype(np.int64)
    return x[..., np.minimum(index, x.shape[-1] - 1)]


def bendr_inputs(
    x: np.ndarray,
    ch_names: list[str],
    sfreq: float,
    *,
    data_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """BENDR's input (n, 20, samples at 256 Hz) from windows (n, channels, samples).

    DN3's pipeline as BENDR's configs run it (``configs/*.yml`` of SPOClab-ca/BENDR with
    ``deep1010`` and ``sfreq: 256``; DN3 ``MappingDeep1010``, ``To1020``,
    ``TemporalInterpolation``):

    1. integer decimation (every d-th sample, :func:`dn3_decimation`);
    2. the relative amplitude: 2 * (min((max - min) / (data_max - data_min), 1) - 0.5) over
       the whole window, with the dataset's range given as ``data_range``; 0 without one
       (DN3 does the same when a dataset has no range);
    3. channels placed on Deep1010 positions by name (several on one position: averaged);
       the EEG positions min-max scaled together to [-1, 1] (positions without a channel
       count as 0 in that range, as in DN3), then positions without a channel set to 0;
    4. the 19 channels of ``To1020`` in its order (note: ``T7``/``T8`` but ``T5``/``T6``:
       old names T3/T4 and new names P7/P8 land on other positions and are not used),
       then the relative amplitude as channel 20;
    5. nearest-neighbour resampling to 256 Hz (:func:`nearest_resize`).
    """
    n, n_channels, n_samples = x.shape
    d = dn3_decimation(sfreq, BENDR_SFREQ)
    x = x[..., ::d]
    if data_range is not None:
        span = (x.max(axis=(1, 2)) - x.min(axis=(1, 2))) / (data_range[1] - data_range[0])
        scale = 2 * (np.minimum(span, 1.0) - 0.5)
    else:
        scale = np.zeros(n)
    positions = [deep1010_name(c) for c in ch_names]
    used = sorted({p for p in positions if p is not None}, key=DEEP_1010_CHANNELS.index)
    if not set(used) & set(BENDR_CHANNELS):
        raise DataError(
            f"the bendr recipe: none of the channels ({', '.join(ch_names[:6])}...) is one of "
            f"BENDR's {', '.join(BENDR_CHANNELS)}"
        )
    mapping = np.zeros((n_channels, len(used)))
    for c, position in enumerate(positions):
        if position is not None:
            mapping[c, used.index(position)] = 1.0
    mapping /= mapping.sum(axis=0, keepdims=True)
    placed = np.einsum("nct,cu->nut", x, mapping)
    low, high = placed.min(axis=(1, 2)), placed.max(axis=(1, 2))
    if len(used) < DEEP_1010_EEG_COUNT:  # empty positions are zeros inside DN3's range
        low, high = np.minimum(low, 0.0), np.maximum(high, 0.0)
    width = high - low
    safe = np.where(width > 0, width, 1.0)[:, None, None]
    scaled = np.where(width[:, None, None] > 0, 2 * ((placed - low[:, None, None]) / safe - 0.5), 0)
    out = np.zeros((n, len(BENDR_CHANNELS) + 1, x.shape[-1]))
    for i, name in enumerate(BENDR_CHANNELS):
        if name in used:
            out[:, i] = scaled[:, used.index(name)]
    out[:, -1] = scale[:, None]
    if sfreq / d != BENDR_SFREQ:  # DN3 interpolates when the decimated rate differs
        length = int(np.floor(n_samples / sfreq * BENDR_SFREQ + 1e-9))
        out = nearest_resize(out, length)
    return out


@attrs.frozen(kw_only=True)
class BENDRRecipe(Recipe):
    """BENDR: :func:`bendr_inputs`; gives ``x`` (n, 20, samples at 256 Hz) for the encoder.

    ``data_range: [min, max]`` is the dataset's amplitude range in its own unit (BENDR's
    ``data_min``/``data_max``, e.g. ``[-1583.9, 3276.7]`` uV for TUEG); without it the
    relative-amplitude channel is 0.
    """

    name: ClassVar[str] = "bendr"

    data_range: tuple[float, float] | None = None

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        return cls(data_range=params.pair("data_range"))

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        x = dense_rows(batch, ndim=3, recipe=self.name)
        names = info_list(info, "ch_names", recipe=self.name, n=x.shape[1])
        out = bendr_inputs(x, names, _sampling_freq(info, self.name), data_range=self.data_range)
        return ModelInputs(arrays={"x": out.astype(np.float32)})

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": self.name,
            "sampling_freq": BENDR_SFREQ,
            "channels": [*BENDR_CHANNELS, "scale"],
            "data_range": list(self.data_range) if self.data_range else None,
        }


# --- LaBraM ------------------------------------------------------------------------------


def _filter(x: np.ndarray, sfreq: float, bandpass: Any, notch: float | None) -> np.ndarray:
    from scipy import signal

    try:
        if bandpass is not None:
            sos = signal.butter(4, bandpass, btype="bandpass", fs=sfreq, output="sos")
            x = signal.sosfiltfilt(sos, x, axis=-1)
        if notch is not None:
            b, a = signal.iirnotch(notch, 30.0, fs=sfreq)
            x = signal.filtfilt(b, a, x, axis=-1)
    except ValueError as exc:
        raise DataError(f"the labram recipe cannot filter these windows: {exc}") from None
    return x


def labram_patches(
    x_uv: np.ndarray, sfreq: float, *, patch_size: int = 200, max_patches: int = 16
) -> np.ndarray:
    """(n, channels, samples) in uV -> (n, channels, patches, patch_size) at 200 Hz in 0.1 mV.

    LaBraM's rules: data resampled to 200 Hz, in uV (``dataset_maker/*.py``:
    ``raw.resample(200)``, ``raw.get_data(units='uV')``), then divided by 100 and cut into
    patches of 200 samples (``engine_for_finetuning.py``: ``samples / 100``,
    ``rearrange(samples, 'B N (A T) -> B N A T', T=200)``). Resampling here is polyphase
    (``scipy.signal.resample_poly``) on each window; LaBraM resampled whole recordings with
    MNE. Samples after the last whole patch are dropped. The model's time embedding has 16
    positions, so a window may hold at most 16 patches (16 s).
    """
    if sfreq != LABRAM_SFREQ:
        from scipy.signal import resample_poly

        ratio = Fraction(LABRAM_SFREQ / sfreq).limit_denominator(1000)
        x_uv = resample_poly(x_uv, ratio.numerator, ratio.denominator, axis=-1)
    n_patches = x_uv.shape[-1] // patch_size
    if n_patches == 0 or n_patches > max_patches:
        raise DataError(
            f"the labram recipe: a window of {x_uv.shape[-1] / LABRAM_SFREQ:g} s at 200 Hz makes "
            f"{n_patches} patches of {patch_size} samples; LaBraM takes 1 to {max_patches} "
            "(cut the recordings into windows of 1-16 s)"
        )
    kept = x_uv[..., : n_patches * patch_size] / 100.0
    return kept.reshape(*kept.shape[:-1], n_patches, patch_size)


@attrs.frozen(kw_only=True)
class LaBraMRecipe(Recipe):
    """LaBraM: :func:`labram_patches` as ``x`` (n, channels, patches, 200), and
    ``input_chans`` = [0] + each channel's index in ``standard_1020`` + 1 (``utils.py``,
    ``get_input_chans``), the positions its ``forward_features`` embeds.

    Channels outside ``standard_1020`` (EOG, ECG...) are an error unless
    ``drop_unknown_channels: true``. The data's unit comes from ``info["unit"]`` (or
    ``input_unit``). LaBraM's data were band-passed 0.1-75 Hz and notch-filtered at 50 Hz on
    whole recordings; filter your recordings so, or set ``bandpass: [0.1, 75]`` and
    ``notch: 50`` to filter each window here (zero-phase Butterworth / IIR notch, with edge
    effects on short windows).
    """

    name: ClassVar[str] = "labram"

    patch_size: int = 200
    max_patches: int = 16
    drop_unknown_channels: bool = False
    input_unit: str | None = None
    bandpass: tuple[float, float] | None = None
    notch: float | None = None

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        return cls(
            patch_size=params.integer("patch_size", 200),
            max_patches=params.integer("max_patches", 16),
            drop_unknown_channels=params.boolean("drop_unknown_channels", False),
            input_unit=params.string("input_unit"),
            bandpass=params.pair("bandpass"),
            notch=params.optional_number("notch"),
        )

    def channels(self, ch_names: list[str]) -> tuple[list[int], list[int]]:
        """(kept channel rows, their ``input_chans`` entries without the CLS 0)."""
        rows, positions, unknown = [], [], []
        for row, name in enumerate(ch_names):
            index = labram_index(name)
            if index is None:
                unknown.append(name)
            else:
                rows.append(row)
                positions.append(index + 1)
        if unknown and not self.drop_unknown_channels:
            raise DataError(
                f"the labram recipe: channels {', '.join(unknown[:5])} are not in LaBraM's "
                "standard_1020 list; set drop_unknown_channels: true to leave them out"
            )
        beyond = [ch_names[r] for r, p in zip(rows, positions, strict=True) if p > LABRAM_POSITIONS]
        if beyond:
            raise DataError(
                f"the labram recipe: channels {', '.join(beyond[:5])} come after entry "
                f"{LABRAM_POSITIONS} of standard_1020, beyond LaBraM's position embedding "
                f"({LABRAM_POSITIONS} channels + CLS)"
            )
        if len(set(positions)) != len(positions):
            raise DataError(f"the labram recipe: two channels name one position ({ch_names})")
        if not rows:
            raise DataError("the labram recipe: no channel is in LaBraM's standard_1020 list")
        return rows, positions

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        x = dense_rows(batch, ndim=3, recipe=self.name)
        rows, positions = self.channels(info_list(info, "ch_names", recipe=self.name, n=x.shape[1]))
        unit = self.input_unit or info.get("unit")
        if not isinstance(unit, str):
            raise DataError(
                "the labram recipe needs the data's unit (info.json unit, e.g. uV) or "
                "input_unit in preprocess"
            )
        sfreq = _sampling_freq(info, self.name)
        x = x[:, rows] * microvolts_per_unit(unit)
        if self.bandpass is not None or self.notch is not None:
            x = _filter(x, sfreq, self.bandpass, self.notch)
        patches = labram_patches(x, sfreq, patch_size=self.patch_size, max_patches=self.max_patches)
        return ModelInputs(
            arrays={"x": patches.astype(np.float32)}, constants={"input_chans": [0, *positions]}
        )

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": self.name,
            "sampling_freq": LABRAM_SFREQ,
            "patch_size": self.patch_size,
            "unit": "0.1 mV",
            "bandpass": list(self.bandpass) if self.bandpass else None,
            "notch": self.notch,
            "drop_unknown_channels": self.drop_unknown_channels,
            "position_table": f"standard_1020 ({len(LABRAM_CHANNELS)} names)",
        }
