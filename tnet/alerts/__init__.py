"""Alerts: rules (config and command line), their pure evaluation, and where alerts are delivered."""
