"""Evaluation: does the map rank where liquidations happen? Simulator, real bars and real events, beside baselines."""
