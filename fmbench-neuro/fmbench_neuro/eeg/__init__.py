"""EEG file formats: EDF/BDF recordings folders."""
