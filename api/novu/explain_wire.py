"""An explanation as it goes on the wire: plain dicts with the camelCase keys of
``api.novu.schemas.explain`` (which documents it in the OpenAPI), serialized once.

A transaction of 1 000 recipients has some 7 000 timeline entries, steps and run links; building
them as dicts and serializing the whole answer in one call costs a fraction of building models.
Every dict carries every key of its model, in the model's order, so the JSON is the one
``Explanation.model_dump_json(by_alias=True)`` writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypedDict

from pydantic_core import to_json

from api.novu.schemas.explain import EntryStatus, Outcome, Stage

RunRole = Literal["trigger", "batch", "digest", "redrive", "replay"]


class EntryData(TypedDict):
    at: datetime | None
    stage: Stage
    stepId: str | None
    channel: str | None
    status: EntryStatus
    decision: str
    evidence: dict[str, Any]


class RunLinkData(TypedDict):
    workflowId: str
    role: RunRole
    status: str | None
    url: str


class StepStateData(TypedDict):
    stepId: str
    type: str
    status: str


class RecipientData(TypedDict):
    subscriberId: str
    notificationId: str | None
    outcome: Outcome
    summary: str
    steps: list[StepStateData]
    timeline: list[EntryData]
    runs: list[RunLinkData]


class ExplanationData(TypedDict):
    transactionId: str
    workflowIdentifier: str | None
    workflowId: str | None
    status: str
    summary: str
    workflowVersion: int | None
    replayOf: str | None
    replays: list[str]
    recipients: list[RecipientData]
    runs: list[RunLinkData]


def entry(
    stage: Stage, status: EntryStatus, decision: str, evidence: dict[str, Any], *, at: datetime | None = None,
    step_id: str | None = None, channel: str | None = None,
) -> EntryData:
    return {"at": at, "stage": stage, "stepId": step_id, "channel": channel, "status": status, "decision": decision,
            "evidence": evidence}


def run_link(workflow_id: str, role: RunRole, url: str, status: str | None = None) -> RunLinkData:
    return {"workflowId": workflow_id, "role": role, "status": status, "url": url}


def envelope_json(data: ExplanationData) -> bytes:
    """``{"data": …}``, the face's envelope, as JSON (timestamps and values as pydantic writes them)."""
    return to_json({"data": data})
