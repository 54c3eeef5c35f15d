"""Analysis recipes run on model embeddings (CCA with a permutation test)."""
