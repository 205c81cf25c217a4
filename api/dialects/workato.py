"""The Workato dialect (event streams, event-apis.md §2): one router for the app to include."""

from __future__ import annotations

from fastapi import APIRouter

from api.dialects import workato_messages, workato_topics
from api.dialects.workato_common import MAX_BATCH_BODY_BYTES

__all__ = ["MAX_BATCH_BODY_BYTES", "router"]
router = APIRouter()
router.include_router(workato_topics.router)
router.include_router(workato_messages.router)
