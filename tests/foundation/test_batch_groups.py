"""How a bulk call's events are cut into batched runs (``core.run_identity.batch_groups``)."""

from __future__ import annotations

from core.payloads import SubscriberInput, TenantInput, TriggerContext, TriggerInput, WorkflowSnapshot
from core.run_identity import SUBSCRIBER_IDS_BUDGET, TENANT_ID, TRANSACTION_IDS, batch_groups, batched_attributes


def event(workflow: str, tx: str) -> TriggerInput:
    snapshot = WorkflowSnapshot(id="w", identifier=workflow, name=workflow, steps=[])
    context = TriggerContext(environment_id="e", organization_id="o", transaction_id=tx, workflow=snapshot)
    return TriggerInput(context=context, subscribers=[SubscriberInput(subscriber_id=f"s-{tx}")])


def test_events_are_grouped_per_workflow_in_order() -> None:
    events = [event("a", "1"), event("b", "2"), event("a", "3")]
    groups = batch_groups(events)
    assert [[e.context.transaction_id for e in g] for g in groups] == [["1", "3"], ["2"]]


def test_a_group_is_cut_where_its_transaction_ids_pass_one_search_attribute_value() -> None:
    events = [event("a", f"{i:032x}") for i in range(100)]  # uuid-sized ids: 3.5 KB in all
    groups = batch_groups(events)
    assert len(groups) == 2 and sum(len(g) for g in groups) == 100
    for group in groups:
        ids = batched_attributes("e", "a", group)[TRANSACTION_IDS]
        assert ids == [e.context.transaction_id for e in group]
        assert sum(len(i) + 3 for i in ids) <= SUBSCRIBER_IDS_BUDGET


def test_a_batched_run_carries_the_tenant_its_events_share_and_none_when_they_differ() -> None:
    acme, other = (event("a", tx) for tx in ("1", "2"))
    acme.context.tenant = other.context.tenant = TenantInput(identifier="acme")
    assert batched_attributes("e", "a", [acme, other])[TENANT_ID] == "acme"
    other.context.tenant = TenantInput(identifier="globex")
    assert TENANT_ID not in batched_attributes("e", "a", [acme, other])
    assert TENANT_ID not in batched_attributes("e", "a", [event("a", "3")])
