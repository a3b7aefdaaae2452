"""On-disk state: atomic writes, calibrator state, recordings."""
