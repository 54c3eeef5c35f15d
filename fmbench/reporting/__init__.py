"""Reporters: each writes a run's results in one format."""
