"""The AI Solution under test: model configs, the guarded handle, reference models, the embedding cache."""
