"""The raw worker process: ``python bench/_raw_worker.py ADDRESS MAX_ACTIVITIES MAX_WORKFLOW_TASKS``.

Hosts ``RawWorkflow`` on ``RAW_QUEUE`` with the default (sandboxed) workflow runner and the same
concurrency limits as Clarion's worker; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from _raw import RAW_QUEUE, RawWorkflow, noop_first, noop_second
from temporalio.client import Client
from temporalio.worker import Worker


async def main(address: str, max_activities: int, max_workflow_tasks: int) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client, task_queue=RAW_QUEUE, workflows=[RawWorkflow], activities=[noop_first, noop_second],
        max_concurrent_activities=max_activities, max_concurrent_workflow_tasks=max_workflow_tasks,
    ):
        print(f"raw worker polling task queue {RAW_QUEUE!r}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
    sys.stdout.flush()
    os._exit(0)  # temporalio may abort while the interpreter exits (sdk-python issue 300)
