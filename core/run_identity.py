"""How Clarion's runs are named and found: workflow type names and ids, custom search attributes and
run summaries, so the API starts workflows by name and the Temporal UI finds runs by what operators
know: transaction id, subscriber, workflow, tenant, environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from core.payloads import TriggerInput

# Workflow type names: the API starts workflows by these, without importing workflow code.
TRIGGER_WORKFLOW = "TriggerWorkflow"
BULK_TRIGGER_WORKFLOW = "BulkTriggerWorkflow"
# The events of one bulk call that target one workflow, run together (``workflows.batched``).
BATCHED_TRIGGER_WORKFLOW = "BatchedTriggerWorkflow"
# Signal to a batched run: cancel one of its transactions, the others go on.
CANCEL_TRANSACTION_SIGNAL = "cancel_transaction"
# A batched run answers one transaction's own result (its result sums every transaction's).
TRANSACTION_RESULT_QUERY = "transaction_result"
PUBLISH_WORKFLOW = "PublishWorkflow"
WEBHOOK_DELIVERY_WORKFLOW = "WebhookDeliveryWorkflow"

TRANSACTION_ID = SearchAttributeKey.for_keyword("TransactionId")
SUBSCRIBER_ID = SearchAttributeKey.for_keyword_list("SubscriberId")
WORKFLOW_IDENTIFIER = SearchAttributeKey.for_keyword("WorkflowIdentifier")
TENANT_ID = SearchAttributeKey.for_keyword("TenantId")
ENVIRONMENT_ID = SearchAttributeKey.for_keyword("EnvironmentId")
# Bitcaster's ``?cid=``: the caller's own correlation id for a trigger.
CORRELATION_ID = SearchAttributeKey.for_keyword("CorrelationId")
# A replay's original transaction: ``ReplayOf = 'tx'`` lists the replays of ``tx``.
REPLAY_OF = SearchAttributeKey.for_keyword("ReplayOf")
# The transaction ids a batched run carries: ``TransactionIds = 'tx'`` finds the run of ``tx``.
TRANSACTION_IDS = SearchAttributeKey.for_keyword_list("TransactionIds")

ALL = (TRANSACTION_ID, SUBSCRIBER_ID, WORKFLOW_IDENTIFIER, TENANT_ID, ENVIRONMENT_ID, CORRELATION_ID, REPLAY_OF,
       TRANSACTION_IDS)
# Temporal caps one search attribute value at 2 KiB; a topic's members beyond this stay findable
# through the activity feed (the store), not through visibility.
SUBSCRIBER_IDS_BUDGET = 1800


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags that register every key on a dev server at start."""
    flags: list[str] = []
    for key, kind in ((TRANSACTION_ID, "Keyword"), (SUBSCRIBER_ID, "KeywordList"),
                      (WORKFLOW_IDENTIFIER, "Keyword"), (TENANT_ID, "Keyword"), (ENVIRONMENT_ID, "Keyword"),
                      (CORRELATION_ID, "Keyword"), (REPLAY_OF, "Keyword"), (TRANSACTION_IDS, "KeywordList")):
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags


def capped_ids(subscriber_ids: Sequence[str]) -> list[str]:
    kept: list[str] = []
    used = 0
    for sid in dict.fromkeys(subscriber_ids):
        used += len(sid.encode()) + 3
        if used > SUBSCRIBER_IDS_BUDGET:
            break
        kept.append(sid)
    return kept


def run_attributes(
    *, environment_id: str, transaction_id: str, workflow_identifier: str, tenant_id: str | None,
    subscriber_ids: Sequence[str], correlation_id: str | None = None, replay_of: str | None = None,
) -> TypedSearchAttributes:
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(ENVIRONMENT_ID, environment_id),
        SearchAttributePair(TRANSACTION_ID, transaction_id),
        SearchAttributePair(WORKFLOW_IDENTIFIER, workflow_identifier),
    ]
    if tenant_id:
        pairs.append(SearchAttributePair(TENANT_ID, tenant_id))
    if correlation_id:
        pairs.append(SearchAttributePair(CORRELATION_ID, correlation_id))
    if replay_of:
        pairs.append(SearchAttributePair(REPLAY_OF, replay_of))
    if ids := capped_ids(subscriber_ids):
        pairs.append(SearchAttributePair(SUBSCRIBER_ID, ids))
    return TypedSearchAttributes(pairs)


def batched_attributes(
    environment_id: str, workflow_identifier: str, events: Sequence[TriggerInput]
) -> TypedSearchAttributes:
    """A batched run's attributes: every transaction id it carries (``batch_groups`` keeps them within
    the server's 2 KiB per value), as many subscriber ids as fit, and the tenant its events share."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(ENVIRONMENT_ID, environment_id),
        SearchAttributePair(WORKFLOW_IDENTIFIER, workflow_identifier),
        SearchAttributePair(TRANSACTION_IDS, list(dict.fromkeys(e.context.transaction_id for e in events))),
        SearchAttributePair(SUBSCRIBER_ID, capped_ids([s.subscriber_id for e in events for s in e.subscribers])),
    ]
    tenants = {e.context.tenant.identifier if e.context.tenant else None for e in events}
    if len(tenants) == 1 and (tenant := tenants.pop()):
        pairs.append(SearchAttributePair(TENANT_ID, tenant))
    return TypedSearchAttributes(pairs)


def batch_groups(events: Sequence[TriggerInput]) -> list[list[TriggerInput]]:
    """The events as batched runs: per workflow, in order, cut where the transaction ids would
    no longer fit one search attribute value."""
    groups: list[list[TriggerInput]] = []
    open_groups: dict[str, tuple[list[TriggerInput], int]] = {}
    for event in events:
        identifier, cost = event.context.workflow.identifier, len(event.context.transaction_id.encode()) + 3
        group, used = open_groups.get(identifier, ([], SUBSCRIBER_IDS_BUDGET + 1))
        if used + cost > SUBSCRIBER_IDS_BUDGET:
            group, used = [], 0
            groups.append(group)
        group.append(event)
        open_groups[identifier] = (group, used + cost)
    return groups


def trigger_workflow_id(environment_id: str, transaction_id: str) -> str:
    """The trigger's workflow id: one per (environment, transactionId), so a repeat is refused."""
    return f"trigger:{environment_id}:{transaction_id}"


def publish_workflow_id(environment_id: str, event_id: str) -> str:
    return f"publish:{environment_id}:{event_id}"


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
        replay_of=ctx.replay_of,
    )
