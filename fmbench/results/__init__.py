"""Results: eval.yaml (building, digests, reading, schema), validation, stored predictions."""
