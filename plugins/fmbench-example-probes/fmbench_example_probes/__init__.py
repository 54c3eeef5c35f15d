"""fmbench-example-probes: gain and clipping probes, as a third-party plugin would add them."""

from __future__ import annotations

__version__ = "0.1.0"
