"""The Qala face: typed event publishing, its HTTP helpers and the ``/management/v1`` API."""
