"""Shapes of Novu's responses built from stored rows (subscribers, preferences, integrations)."""
