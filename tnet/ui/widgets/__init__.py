"""Widgets: thin Line-API holders of cached Strips produced by tnet.ui.render."""
