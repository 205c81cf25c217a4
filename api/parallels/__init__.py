"""The Parallels face: the Events Hub WebSocket and its REST routes (shared/event-apis.md §3)."""
