"""MRI and fMRI: NIfTI folders, ROI time series, functional connectivity."""
