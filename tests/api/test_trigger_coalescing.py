"""Concurrent single triggers share starts (``api.operations.trigger_coalescing``): who goes alone, who
waits, and what each caller is told."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from temporalio.client import Client

from api.operations.trigger_coalescing import ALONE_BYTES, GROUP_EVENTS, TriggerCoalescer
from core.payloads import StepSpec, SubscriberInput, TenantInput, TriggerContext, TriggerInput, WorkflowSnapshot

CLIENT = cast(Client, object())


def event(tx: str, env: str = "e", **extra: Any) -> TriggerInput:
    snapshot = WorkflowSnapshot(id="w", identifier="note", name="note", steps=[])
    context = TriggerContext(environment_id=env, organization_id="o", transaction_id=tx, workflow=snapshot, **extra)
    return TriggerInput(context=context, subscribers=[SubscriberInput(subscriber_id=f"s-{tx}")])


class Starts:
    """Records each start as the list of its transaction ids; a start waits until ``gate`` is set."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.gate = asyncio.Event()
        self.fail: Exception | None = None

    async def one(self, client: Client, inp: TriggerInput) -> None:
        await self._start([inp])

    async def many(self, client: Client, events: list[TriggerInput]) -> None:
        await self._start(events)

    async def _start(self, events: list[TriggerInput]) -> None:
        self.calls.append([e.context.transaction_id for e in events])
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail

    def coalescer(self, enabled: bool = True) -> TriggerCoalescer:
        return TriggerCoalescer(self.one, self.many, enabled=enabled)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_triggers_arriving_during_a_start_go_together_in_the_next_one() -> None:
    starts = Starts()
    coalescer = starts.coalescer()
    first = asyncio.create_task(coalescer.start(CLIENT, event("t0")))
    await settle()
    rest = [asyncio.create_task(coalescer.start(CLIENT, event(f"t{i}"))) for i in range(1, 6)]
    other_env = asyncio.create_task(coalescer.start(CLIENT, event("x0", env="f")))
    tenant = asyncio.create_task(coalescer.start(CLIENT, event("a0", tenant=TenantInput(identifier="acme"))))
    await settle()
    # Each environment's (and tenant's) first starts at once; the rest wait.
    assert starts.calls == [["t0"], ["x0"], ["a0"]]
    assert not any(t.done() for t in rest)
    starts.gate.set()
    await asyncio.gather(first, other_env, tenant, *rest)
    assert starts.calls == [["t0"], ["x0"], ["a0"], ["t1", "t2", "t3", "t4", "t5"]]
    await coalescer.start(CLIENT, event("t6"))  # idle again: alone, at once
    assert starts.calls[-1] == ["t6"]


async def test_a_failed_group_start_reaches_every_trigger_of_the_group_and_the_next_group_still_starts() -> None:
    starts = Starts()
    coalescer = starts.coalescer()
    first = asyncio.create_task(coalescer.start(CLIENT, event("t0")))
    await settle()
    group = [asyncio.create_task(coalescer.start(CLIENT, event(f"t{i}"))) for i in (1, 2)]
    await settle()
    starts.fail = RuntimeError("engine down")
    starts.gate.set()
    outcomes = await asyncio.gather(first, *group, return_exceptions=True)
    assert [str(o) for o in outcomes] == ["engine down"] * 3
    starts.fail = None
    await coalescer.start(CLIENT, event("t3"))
    assert starts.calls == [["t0"], ["t1", "t2"], ["t3"]]


async def test_a_caller_that_goes_away_does_not_cancel_its_group() -> None:
    starts = Starts()
    coalescer = starts.coalescer()
    first = asyncio.create_task(coalescer.start(CLIENT, event("t0")))
    await settle()
    leaving, staying = (asyncio.create_task(coalescer.start(CLIENT, event(f"t{i}"))) for i in (1, 2))
    await settle()
    leaving.cancel()
    starts.gate.set()
    await asyncio.gather(first, staying)
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert starts.calls == [["t0"], ["t1", "t2"]]  # t1 was started all the same, with its group


async def test_topics_large_events_delays_and_a_disabled_coalescer_start_each_event_alone() -> None:
    starts = Starts()
    coalescer = starts.coalescer()
    first = asyncio.create_task(coalescer.start(CLIENT, event("t0")))
    await settle()
    topic = event("topic")
    topic.topic_keys = ["news"]
    large = event("large", payload={"text": "x" * ALONE_BYTES})
    waits = event("waits")
    waits.context.workflow.steps = [StepSpec(id="wait", type="delay"), StepSpec(id="note", type="in_app")]
    alone = [asyncio.create_task(coalescer.start(CLIENT, e)) for e in (topic, large, waits)]
    await settle()
    assert starts.calls == [["t0"], ["topic"], ["large"], ["waits"]]
    starts.gate.set()
    await asyncio.gather(first, *alone)
    disabled = Starts()
    off = disabled.coalescer(enabled=False)
    each = [asyncio.create_task(off.start(CLIENT, event(f"d{i}"))) for i in range(3)]
    await settle()
    assert disabled.calls == [["d0"], ["d1"], ["d2"]]  # all in flight at once
    disabled.gate.set()
    await asyncio.gather(*each)


async def test_a_group_holds_at_most_one_bulk_call_of_events() -> None:
    starts = Starts()
    coalescer = starts.coalescer()
    tasks = [asyncio.create_task(coalescer.start(CLIENT, event(f"t{i}"))) for i in range(GROUP_EVENTS + 6)]
    await settle()
    starts.gate.set()
    await asyncio.gather(*tasks)
    assert [len(c) for c in starts.calls] == [1, GROUP_EVENTS, 5]
