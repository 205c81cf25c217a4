"""One page of a trigger's audience: the batches (child runs) to start next, and where to go on."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.payloads import AudienceCursor, Batch, SubscriberInput, TriggerContext


class AudiencePageInput(BaseModel):
    context: TriggerContext
    # Only the first page carries the listed subscribers (upserted once, cut into inline batches).
    subscribers: list[SubscriberInput] = Field(default_factory=list)
    topic_keys: list[str] = Field(default_factory=list)
    everyone: bool = False
    batch_size: int = 100
    max_batches: int = 200
    # None: the first page (also upserts the actor and tenant and looks the topics up).
    cursor: AudienceCursor | None = None


class AudiencePage(BaseModel):
    batches: list[Batch]
    missing_topics: list[str] = Field(default_factory=list)
    # None: the audience is complete.
    next: AudienceCursor | None = None
