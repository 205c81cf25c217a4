"""Workflow code must stay able to replay the histories of runs already in flight.

The histories in ``tests/histories/`` were recorded from real runs (inline trigger, topic trigger
with child runs, one child run, bulk trigger; a digest group and a trigger merged into it, the stream
retention sweep, a published event and its webhook delivery with one retry; a re-drive of two failed
deliveries; a dry run; a trigger whose delay was fast-forwarded (``fast-forward`` patch); and an inline trigger
written with the snake_case contract of ``core.payloads``, while the older ones carry Novu's camelCase
subscriber names, which the contract still reads; a trigger whose audience is planned a page at a time,
the run that continued as new and the run that finished; a batched run of three bulk events with
delays, one transaction cancelled by signal, the others fast-forwarded). A change to workflow
code that would break those runs on a rolling deploy fails here; record new histories only together
with a versioned change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from clarion.worker import STRICT_SANDBOX, WORKFLOWS

FOLDER = Path(__file__).parent / "histories"
# Child ids derive from the parent's id, so each history replays under the id it was recorded with.
IDS: dict[str, str] = json.loads((FOLDER / "ids.json").read_text())
HISTORIES = sorted(path for path in FOLDER.glob("*.json") if path.stem in IDS)


def test_every_workflow_type_has_a_recorded_history() -> None:
    recorded = {path.stem for path in HISTORIES}
    assert {"trigger_inline", "trigger_topic", "run_batch", "bulk_trigger", "digest_group", "trigger_into_digest",
            "stream_retention", "publish_event", "webhook_delivery", "trigger_core_contract", "redrive",
            "trigger_paged", "trigger_paged_continued", "dry_run",
            "trigger_fast_forwarded_delay", "batched_trigger"} <= recorded


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(IDS[path.stem], path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=STRICT_SANDBOX)
    await replayer.replay_workflow(history)
