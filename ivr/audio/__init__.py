"""Recorded prompts: turn staff's recordings into telephone-ready files and a manifest."""
