"""Run a coroutine in place until it first has to wait, and only then in a task of its own.

The hub sends each event to every matching socket. Waking one writer task per socket per frame cost
more CPU than the send itself (bench/websocket.py); a send to a socket whose buffer has room never
waits, so it can run right where the event is routed. A send that does wait (a slow reader) carries
on in a task, so it never holds up the other sockets. Python 3.12's eager tasks do the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


def start(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """None when ``coro`` finished without waiting (what it raised is raised here); otherwise the task
    that carries it on from where it first waited."""
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_finish(_Resumed(coro, waiting_on)))


async def _finish(resumed: _Resumed) -> None:
    await resumed


class _Resumed:
    """Hands the task's sends and throws (a result, a cancellation) on to the started coroutine, as
    ``await coro`` would have from its first step on."""

    def __init__(self, coro: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        self._coro, self._waiting_on = coro, waiting_on

    def __await__(self) -> Generator[Any, Any, None]:
        coro, waiting_on = self._coro, self._waiting_on
        while True:
            try:
                value = yield waiting_on
            except BaseException as exc:  # a cancellation, too, belongs to the coroutine
                try:
                    waiting_on = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = coro.send(value)
                except StopIteration:
                    return
