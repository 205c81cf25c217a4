"""Clarion's composition root: settings, CLI, and the assembly of the API and the worker."""
