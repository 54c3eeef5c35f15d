"""Statistics: bootstrap intervals, calibration, clinical blocks, and comparisons of runs."""
