"""Simulated perp market (pure, deterministic) and loopback servers speaking the venues' protocols."""
