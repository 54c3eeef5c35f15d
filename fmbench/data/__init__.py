"""Data: the in-memory dataset, finding and fetching datasets, toy data."""
