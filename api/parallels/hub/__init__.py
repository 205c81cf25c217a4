"""The Parallels WebSocket hub: clients, their queues, the type index and the bus fan-out."""

from api.parallels.hub.hub import Hub

__all__ = ["Hub"]
