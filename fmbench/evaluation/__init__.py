"""Evaluation: splits, protocols that turn model outputs into predictions, and scoring."""
