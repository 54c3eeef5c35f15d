"""Robustness: probes x severity levels, curves and rAUC."""
