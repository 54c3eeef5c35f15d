"""fmbench-example-task: a benchmark, its toy dataset and a metric, as a third-party plugin."""

from __future__ import annotations

__version__ = "0.1.0"
