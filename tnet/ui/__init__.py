"""Textual terminal UI: app, widgets, pure renderers and themes (the only package that imports Textual)."""
