"""Clarion's HTTP API: the app factory, auth, error envelopes and one router per resource."""
