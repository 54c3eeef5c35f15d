"""fMRI recipe: BrainLM's parcel time-series windows, scaled per parcel, with parcel coordinates.

Reads (n, parcels, time points) arrays whose parcels are in the order of the atlas the
model was trained on (A424 for the released BrainLM checkpoints) and the atlas's parcel
coordinates (``A424_Coordinates.dat`` in BrainLM's ``toolkit/atlases``).

Example:
    >>> import numpy as np
    >>> robust_scale(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])).round(3).tolist()
    [[[-1.0, -0.5, 0.0, 0.5, 1.0]]]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np

from fmbench.adapters.recipes.base import (
    FileRef,
    ModelInputs,
    Recipe,
    RecipeContext,
    RecipeParams,
    dense_rows,
)
from fmbench.errors import DataError, ModelError

__all__ = ["BrainLMRecipe", "read_coordinates", "robust_scale", "upstream_scale"]

SCALINGS = ("robust", "upstream", "none")


def robust_scale(x: np.ndarray) -> np.ndarray:
    """Per parcel over the window's time points: (x - median) / interquartile range (a
    parcel with IQR 0 is only centred)."""
    median = np.median(x, axis=-1, keepdims=True)
    q25, q75 = np.percentile(x, [25, 75], axis=-1, keepdims=True)
    iqr = q75 - q25
    return (x - median) / np.where(iqr > 0, iqr, 1.0)


def upstream_scale(x: np.ndarray, median: np.ndarray, iqr: np.ndarray) -> np.ndarray:
    """BrainLM's ``Voxelwise_RobustScaler_Normalized_Recording`` as its code computes it
    (vandijklab/BrainLM ``toolkit/BrainLM_Toolkit.py``, ``convert_to_arrow_datasets``): each
    parcel's mean over time removed, then ``median / IQR`` subtracted, where median and IQR
    are per-parcel statistics of the training corpus. The code reads
    ``x - data_median_per_voxel / IQR`` (the division binds first), and so does this
    function; the model saw data scaled exactly so."""
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred - (median / iqr)[None, :, None]


def read_coordinates(path: Path) -> np.ndarray:
    """(parcels, 3) coordinates from a whitespace table: ``index x y z`` or ``x y z`` rows."""
    try:
        table = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ModelError(f"coordinates file {path}: not a numeric table ({exc})") from None
    if table.shape[1] not in (3, 4):
        raise ModelError(f"coordinates file {path}: expected 3 or 4 columns, got {table.shape[1]}")
    return table[:, -3:]


def _parcel_stats(path: Path, n_parcels: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        table = np.loadtxt(path, dtype=np.float64, ndmin=2, delimiter=None)
    except ValueError as exc:
        raise ModelError(f"parcel_stats file {path}: not a numeric table ({exc})") from None
    if table.shape != (n_parcels, 2) or np.any(table[:, 1] <= 0):
        raise ModelError(
            f"parcel_stats file {path}: expected {n_parcels} rows of 'median iqr' (iqr > 0)"
        )
    return table[:, 0], table[:, 1]


@attrs.frozen(kw_only=True)
class BrainLMRecipe(Recipe):
    """BrainLM: ``signal_vectors`` (n, parcels, ``window``) scaled per parcel,
    ``xyz_vectors`` (n, parcels, 3) and ``noise`` (n, parcels * window / patch_size), the
    keyword arguments of its ``BrainLMModel.forward`` (``brainlm_mae/modeling_brainlm.py``).

    - ``window`` time points from ``window_start`` (the released model's config:
      ``num_timepoints_per_voxel: 200``, ``timepoint_patching_size: 20``; the model cuts the
      patches itself). Shorter recordings are an error; time points are not resampled
      (UK Biobank's TR is 0.735 s).
    - ``scaling: robust`` (default): (x - median) / IQR per parcel over the window
      (:func:`robust_scale`); ``upstream``: the formula of BrainLM's code
      (:func:`upstream_scale`) with the training corpus's per-parcel median and IQR from
      ``parcel_stats`` (a two-column 'median iqr' table, one row per parcel; BrainLM does not
      publish these numbers); ``none``: as given.
    - ``noise`` is increasing, so the model's random token shuffle keeps the order; with the
      model's ``mask_ratio`` set to 0 every token is kept and the CLS state is repeatable.
    """

    name: ClassVar[str] = "brainlm"

    coordinates: np.ndarray = attrs.field(eq=False)
    window: int = 200
    patch_size: int = 20
    window_start: int = 0
    scaling: str = "robust"
    parcel_median: np.ndarray | None = attrs.field(default=None, eq=False)
    parcel_iqr: np.ndarray | None = attrs.field(default=None, eq=False)
    files: tuple[FileRef, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.window % self.patch_size:
            raise ModelError(
                f"brainlm recipe: window {self.window} is not a multiple of patch_size "
                f"{self.patch_size}"
            )
        if self.scaling == "upstream" and (self.parcel_median is None or self.parcel_iqr is None):
            raise ModelError("brainlm recipe: scaling upstream needs parcel_stats (median, iqr)")

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        coords_path = params.required_file(
            "coordinates", default_name="A424_Coordinates.dat", folder=context.model_dir
        )
        coordinates = read_coordinates(coords_path)
        scaling = params.choice("scaling", SCALINGS, "robust") or "robust"
        stats_path = params.path("parcel_stats", kind="file")
        if scaling == "upstream" and stats_path is None:
            raise params.fail("parcel_stats", "required with scaling: upstream")
        median, iqr = _parcel_stats(stats_path, len(coordinates)) if stats_path else (None, None)
        return cls(
            coordinates=coordinates,
            window=params.integer("window", 200),
            patch_size=params.integer("patch_size", 20),
            window_start=params.integer("window_start", 0, minimum=0),
            scaling=scaling,
            parcel_median=median,
            parcel_iqr=iqr,
            files=tuple(FileRef.of(p) for p in (coords_path, stats_path) if p is not None),
        )

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        x = dense_rows(batch, ndim=3, recipe=self.name)
        n, parcels, times = x.shape
        if parcels != len(self.coordinates):
            raise DataError(
                f"the brainlm recipe: the data have {parcels} parcels but the coordinates file "
                f"{len(self.coordinates)}; BrainLM needs time series of its atlas's parcels "
                "(A424 for the released models), in the atlas's order, as (parcels, time)"
            )
        end = self.window_start + self.window
        if times < end:
            raise DataError(
                f"the brainlm recipe: recordings have {times} time points; the window needs "
                f"{end} (window_start {self.window_start} + window {self.window})"
            )
        x = x[..., self.window_start : end]
        if self.scaling == "robust":
            x = robust_scale(x)
        elif self.scaling == "upstream":
            assert self.parcel_median is not None
            assert self.parcel_iqr is not None
            x = upstream_scale(x, self.parcel_median, self.parcel_iqr)
        tokens = parcels * (self.window // self.patch_size)
        noise = np.broadcast_to(np.linspace(0.0, 1.0, tokens, dtype=np.float32), (n, tokens))
        xyz = np.broadcast_to(self.coordinates.astype(np.float32), (n, parcels, 3))
        return ModelInputs(
            arrays={
                "signal_vectors": x.astype(np.float32),
                "xyz_vectors": np.ascontiguousarray(xyz),
                "noise": np.ascontiguousarray(noise),
            }
        )

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": self.name,
            "window": self.window,
            "window_start": self.window_start,
            "patch_size": self.patch_size,
            "scaling": self.scaling,
            "parcels": len(self.coordinates),
            "files": {f.name: f.sha256 for f in self.files},
        }
