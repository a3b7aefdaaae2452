"""Pure renderers: numbers and views in, colour indices and Strips out; no DOM, no App."""
