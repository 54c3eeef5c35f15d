"""The ``resources`` blocks of an eval document: time, throughput and memory, typed.

One record serves the four places fmbench writes one, each using the fields it measures:

- the document (``wall_time_s``, ``peak_rss_mb``, and ``model``: the adapter's own measures,
  :class:`ModelResources`);
- a benchmark (``wall_time_s``, ``phases_s``, ``samples_per_s``, ``model_inputs``,
  ``peak_rss_mb``, ``embedding_cache``);
- a robustness block (``wall_time_s``);
- a probe (``perturb_s``, ``model_s``, ``perturb_mb_per_s``, ``model_inputs``,
  ``reused_clean_outputs``, ``wall_time_s``).

Timing fields are left out of the reproducible digest (``eval_file.TIMING_FIELDS``). Keys a
record does not know are kept in ``extra`` (see :mod:`fmbench.results.blocks`).

Example:
    >>> res = Resources.from_dict({"wall_time_s": 1.5, "samples_per_s": None,
    ...                            "model_inputs": 200, "peak_rss_mb": 151.2,
    ...                            "embedding_cache": {"status": "off"}})
    >>> res.wall_time_s, res.model_inputs, res.embedding_cache
    (1.5, 200, {'status': 'off'})
    >>> res.to_dict()["samples_per_s"] is None    # written as null, as it was read
    True
    >>> Resources(wall_time_s=2.0, model=ModelResources(samples=8, batches=1)).to_dict()
    {'wall_time_s': 2.0, 'model': {'samples': 8, 'batches': 1}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from fmbench.results.blocks import Block

__all__ = ["ModelResources", "Resources"]


@attrs.frozen(kw_only=True)
class ModelResources(Block):
    """An adapter's own measures (``ResourceMeter.report()`` plus its truncation counts).

    Attributes:
        load_s: time spent loading the model.
        forward_s: time spent in forward passes.
        samples: inputs given to the model.
        batches: forward passes.
        samples_per_s: ``samples / forward_s`` (null when no time was measured).
        peak_rss_mb: peak resident memory of the process, MiB.
        peak_device_memory_mb: peak accelerator memory, MiB (null on CPU).
        truncated_sequences: sequences a tokenizer cut to its maximum length.
        truncated_inputs: inputs a recipe cut to the model's input size.
    """

    load_s: float | None = None
    forward_s: float | None = None
    samples: int | None = None
    batches: int | None = None
    samples_per_s: float | None = None
    peak_rss_mb: float | None = None
    peak_device_memory_mb: float | None = None
    truncated_sequences: int | None = None
    truncated_inputs: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    layout: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(kw_only=True)
class Resources(Block):
    """A ``resources`` block (document, benchmark, robustness block or probe).

    Attributes:
        wall_time_s: wall-clock time of the whole (run, benchmark, probes, probe).
        phases_s: a benchmark's time per phase (model, bootstrap...).
        samples_per_s: test samples scored per second of model time.
        model_inputs: inputs given to the model (a probe: perturbed inputs scored).
        peak_rss_mb: peak resident memory of the process so far, MiB.
        embedding_cache: the embedding cache's status (hit, miss, off) and why.
        model: the adapter's own measures (document level).
        perturb_s: a probe's time spent perturbing inputs.
        model_s: a probe's time spent in the model.
        perturb_mb_per_s: a probe's perturbation throughput.
        reused_clean_outputs: a probe's inputs left unchanged at a level, whose clean outputs
            were reused instead of calling the model again.
    """

    wall_time_s: float | None = None
    phases_s: Mapping[str, float] | None = None
    samples_per_s: float | None = None
    model_inputs: int | None = None
    peak_rss_mb: float | None = None
    embedding_cache: Mapping[str, Any] | None = None
    model: ModelResources | None = None
    perturb_s: float | None = None
    model_s: float | None = None
    perturb_mb_per_s: float | None = None
    reused_clean_outputs: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    layout: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)
