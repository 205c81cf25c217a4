"""The Bitcaster face: its events API with org/project/app scoped keys (shared/event-apis.md §4)."""
