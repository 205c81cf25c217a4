"""The Workato dialect (event streams, event-apis.md §2): one router for the app to include."""

from __future__ import annotations

from fastapi import APIRouter

from api.workato import messages as workato_messages
from api.workato import topics as workato_topics
from api.workato.common import MAX_BATCH_BODY_BYTES

__all__ = ["MAX_BATCH_BODY_BYTES", "router"]
router = APIRouter()
router.include_router(workato_topics.router)
router.include_router(workato_messages.router)
