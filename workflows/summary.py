"""What the Temporal UI shows of a trigger: its one-line summary and its search attributes."""

from __future__ import annotations

from temporalio.common import TypedSearchAttributes

from workflows.inputs import TriggerInput
from workflows.search import run_attributes


def trigger_summary(inp: TriggerInput) -> str:
    ctx = inp.context
    parts = []
    if inp.subscribers:
        names = ", ".join(s.subscriber_id for s in inp.subscribers[:3])
        more = f" +{len(inp.subscribers) - 3}" if len(inp.subscribers) > 3 else ""
        parts.append(f"{names}{more}")
    parts += [f"topic {key}" for key in inp.topic_keys[:3]]
    if inp.everyone:
        parts.append("all subscribers")
    return f"{ctx.workflow.identifier} → {'; '.join(parts) or 'nobody'} (tx {ctx.transaction_id})"


def trigger_attributes(inp: TriggerInput) -> TypedSearchAttributes:
    ctx = inp.context
    return run_attributes(
        environment_id=ctx.environment_id, transaction_id=ctx.transaction_id,
        workflow_identifier=ctx.workflow.identifier, tenant_id=ctx.tenant.identifier if ctx.tenant else None,
        subscriber_ids=[s.subscriber_id for s in inp.subscribers], correlation_id=ctx.correlation_id,
    )
