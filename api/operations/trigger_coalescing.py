"""Concurrent single triggers share batched runs, the way a bulk call's events do.

Group commit: while one start of an environment (and tenant) is in flight, the triggers that arrive meanwhile
wait for it and then start together as batched runs (``workflows/batched.py``). A trigger that finds
nothing in flight starts at once as its own ``TriggerWorkflow``, so a quiet system answers as fast as
before; a busy one pays one start per group instead of one per trigger, and the worker runs each
group's steps as one activity per step. Each trigger is answered only once its group's start was
accepted, and an error of that start reaches every trigger of the group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from temporalio.client import Client

from core.payloads import TriggerInput

# Temporal refuses a start whose input passes 2 MiB: a group stays well under it, and a large event
# starts alone (as do the events ``may_share`` turns away).
GROUP_BYTES = 1024 * 1024
ALONE_BYTES = 64 * 1024
GROUP_EVENTS = 100

StartOne = Callable[[Client, TriggerInput], Awaitable[None]]
StartMany = Callable[[Client, list[TriggerInput]], Awaitable[None]]


def may_share(inp: TriggerInput) -> bool:
    """Topics and long lists keep their own run (it pages through them); so does a workflow with a delay
    step, whose wait ``GET /v1/events/pending`` lists and acts on per run."""
    return inp.fits_inline() and not any(step.type == "delay" and step.active for step in inp.context.workflow.steps)


@dataclass
class _Pending:
    inp: TriggerInput
    size: int
    client: Client  # a group starts with its first trigger's client
    answer: asyncio.Future[None]


@dataclass
class _Lane:
    """One environment's triggers: whether a start is in flight, and who waits for the next."""

    busy: bool = False
    waiting: list[_Pending] = field(default_factory=list)


class TriggerCoalescer:
    """Starts single triggers, grouping those that arrive while a start of their environment is in flight."""

    def __init__(self, start_one: StartOne, start_many: StartMany, *, enabled: bool = True) -> None:
        self._start_one = start_one
        self._start_many = start_many
        self._enabled = enabled
        self._lanes: dict[tuple[str, str], _Lane] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, client: Client, inp: TriggerInput) -> None:
        """Start ``inp`` now or with the next group; return once its start was accepted."""
        size = len(inp.model_dump_json()) if self._enabled and may_share(inp) else ALONE_BYTES + 1
        if size > ALONE_BYTES:
            await self._start_one(client, inp)
            return
        # Per environment and tenant: a group's run then carries the TenantId search attribute its events had.
        key = (inp.context.environment_id, inp.context.tenant.identifier if inp.context.tenant else "")
        lane = self._lanes.setdefault(key, _Lane())
        if lane.busy:
            pending = _Pending(inp, size, client, asyncio.get_running_loop().create_future())
            lane.waiting.append(pending)
            # Shielded: a caller that goes away must not cancel the start of the others in its group.
            await asyncio.shield(pending.answer)
            return
        lane.busy = True
        try:
            await self._start_one(client, inp)
        finally:
            self._next(key, lane)

    def _next(self, key: tuple[str, str], lane: _Lane) -> None:
        """Start the next group of ``lane``, or mark it idle."""
        if not lane.waiting:
            lane.busy = False
            self._lanes.pop(key, None)
            return
        group: list[_Pending] = []
        used = 0
        while lane.waiting and len(group) < GROUP_EVENTS and used + lane.waiting[0].size <= GROUP_BYTES:
            group.append(lane.waiting.pop(0))
            used += group[-1].size
        task = asyncio.get_running_loop().create_task(self._start_group(key, lane, group))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start_group(self, key: tuple[str, str], lane: _Lane, group: list[_Pending]) -> None:
        events, client = [p.inp for p in group], group[0].client
        try:
            await (self._start_one(client, events[0]) if len(events) == 1 else self._start_many(client, events))
        except Exception as exc:  # every trigger of the group gets the error its start had
            for p in group:
                if not p.answer.done():
                    p.answer.set_exception(exc)
        except BaseException:
            for p in group:
                p.answer.cancel()
            raise
        else:
            for p in group:
                if not p.answer.done():
                    p.answer.set_result(None)
        finally:
            self._next(key, lane)
