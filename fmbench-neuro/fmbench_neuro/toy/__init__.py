"""Deterministic toy datasets with realistic structure."""
