"""The Workato face: event-stream topics, publish and consume (shared/event-apis.md §2)."""
