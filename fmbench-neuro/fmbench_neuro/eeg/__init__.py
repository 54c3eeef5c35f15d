"""EEG file formats: folders of EDF/BDF (edfio) and FIF/BrainVision (MNE, optional) recordings."""
