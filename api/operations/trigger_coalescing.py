"""Concurrent single triggers share batched runs, the way a bulk call's events do.

Group commit (``group_commit.GroupCommit``) per environment and tenant: a trigger that finds no start
in flight starts at once as its own ``TriggerWorkflow``, so a quiet system answers as fast as before;
the triggers that arrive while a start is in flight start together after it as batched runs
(``workflows/batched.py``). A busy API pays one start per group instead of one per trigger, and the
worker runs each group's steps as one activity per step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio.client import Client

from api.operations.group_commit import GroupCommit
from core.payloads import TriggerInput

# Temporal refuses a start whose input passes 2 MiB: a group stays well under it, and a large event
# starts alone (as do the events ``may_share`` turns away).
GROUP_BYTES = 1024 * 1024
ALONE_BYTES = 64 * 1024
GROUP_EVENTS = 100

StartOne = Callable[[Client, TriggerInput], Awaitable[None]]
StartMany = Callable[[Client, list[TriggerInput]], Awaitable[None]]
# The lane of a trigger: its environment and tenant, so a group's run carries the TenantId its events had.
Lane = tuple[str, str]


def may_share(inp: TriggerInput) -> bool:
    """Topics and long lists keep their own run (it pages through them); so does a workflow with a delay
    step, whose wait ``GET /v1/events/pending`` lists and acts on per run."""
    return inp.fits_inline() and not any(step.type == "delay" and step.active for step in inp.context.workflow.steps)


class TriggerCoalescer:
    """Starts single triggers, grouping those that arrive while a start of their lane is in flight."""

    def __init__(self, start_one: StartOne, start_many: StartMany, *, enabled: bool = True) -> None:
        self._start_one, self._start_many = start_one, start_many
        self._enabled = enabled
        self._groups: GroupCommit[Lane, tuple[Client, TriggerInput], None] = GroupCommit(
            self._start, max_items=GROUP_EVENTS, max_bytes=GROUP_BYTES)

    async def start(self, client: Client, inp: TriggerInput) -> None:
        """Start ``inp`` now or with the next group; return once its start was accepted."""
        if not (self._enabled and may_share(inp)) or (size := len(inp.model_dump_json())) > ALONE_BYTES:
            await self._start_one(client, inp)
            return
        ctx = inp.context
        lane = (ctx.environment_id, ctx.tenant.identifier if ctx.tenant else "")
        await self._groups.submit(lane, (client, inp), size)

    async def _start(self, _lane: Lane, items: list[tuple[Client, TriggerInput]]) -> list[None]:
        client, events = items[0][0], [inp for _, inp in items]  # a group starts with its first trigger's client
        await (self._start_one(client, events[0]) if len(events) == 1 else self._start_many(client, events))
        return [None] * len(events)
