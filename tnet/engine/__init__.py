"""Per-symbol liquidation-prediction engine: pure numpy, no I/O, time passed in."""
