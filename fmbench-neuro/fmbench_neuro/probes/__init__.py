"""Robustness probes for EEG (line_noise, permutation, shift) and MRI/fMRI."""
