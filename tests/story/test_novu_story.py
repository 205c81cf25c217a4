"""Issue 5's story, end to end: Novu's own SDKs against a real Clarion (uvicorn, Temporal, a worker).

Each SDK runs the whole story in one script; the test checks the values it saw, and that a
switched-off channel is really not delivered while switching it back on delivers again.
"""

from __future__ import annotations

from typing import Any

from tests.story.conftest import Story
from tests.story.scripts import NOVU, NOVU_PY

SENT = {"status": "completed", "sent": 1, "skipped": 0, "failed": 0}
SKIPPED = {"status": "completed", "sent": 0, "skipped": 1, "failed": 0}


def assert_deliveries(out: dict[str, Any]) -> None:
    """What both SDKs' stories must have delivered, read back through their own feed calls."""
    outcomes = out["outcomes"]
    assert outcomes.pop("tx-later") == {"status": "CancelledError"}
    assert outcomes.pop("tx-topic") == {"status": "completed", "sent": 2, "skipped": 0, "failed": 0}
    assert outcomes == dict.fromkeys(("tx-one", "bulk-1", "bulk-2", "bulk-3"), SENT)
    # off-workflow and off-global left nothing; the cancelled delay never delivered.
    assert out["feed"] == [
        ["bulk-1", "Order bulk-1 for Ada", "bulk-1", None],
        ["on-workflow", "Order A2 for Ada", "A2", None],
        ["tx-one", "Order A5 for Ada", "A5", "hello"],
    ]
    assert out["feed_bo"] == [
        ["bulk-2", "Order bulk-2 for Bo"], ["on-global", "Order A4 for Bo"], ["tx-topic", "Order A6 for Bo"]]
    assert out["unseen"] == [3, 2]
    assert out["marked"] == [[True, True]]
    assert out["mark_all"] == 3


async def test_novu_py_story(story: Story) -> None:
    out = await story.run("novu-py", NOVU_PY)
    assert out["created"] == ["ada", "Ada", "ada@x.test", {"plan": "pro"}]
    assert out["bulk"] == [["bo", "cy"], [], []]
    assert out["got"] == ["ada", "Ada", {"plan": "pro"}]
    assert out["patched"] == ["Ada", "Lovelace"]
    first, second, total, after_last = out["pages"]
    assert (len(first), len(second), total, after_last) == (2, 1, 3, None)
    assert sorted(first + second) == ["ada", "bo", "cy"] and first[0] == "ada"
    # [global in_app, workflow "story" in_app]: ada's at first and after her workflow switches, then bo's
    assert out["prefs"] == [[True, True], [True, False], [True, True], [False, False], [True, True]]
    assert (out["off_workflow"], out["on_workflow"]) == (SKIPPED, SENT)
    assert (out["off_global"], out["on_global"]) == (SKIPPED, SENT)
    assert out["topic"] == ["crew", ["bo", "cy"], 2]
    assert out["one"] == [True, "processed", "tx-one"]
    assert out["bulk_trigger"] == [["processed", "bulk-1"], ["processed", "bulk-2"], ["processed", "bulk-3"]]
    assert out["topic_trigger"] == [True, "tx-topic"]
    assert out["cancel"] == [True, False]
    assert_deliveries(out)
    assert out["deleted"] is True
    assert out["after_delete"] == ["ErrorDto", 404]
    assert await story.pipeline.messages(transaction_id="tx-later") == []


async def test_novu_v1_story(story: Story) -> None:
    out = await story.run("novu", NOVU)
    assert out["created"] == ["ada", "Ada", "ada@x.test", {"plan": "pro"}]
    assert out["bulk"] == [["bo", "cy"], [], []]
    assert out["got"] == ["ada", "Ada", {"plan": "pro"}]
    assert out["patched"] == ["Ada", "Lovelace"]
    page, total, streamed = out["pages"]
    assert (sorted(page), total, streamed) == (["ada", "bo", "cy"], 3, ["ada", "bo", "cy"])
    # ada's "story" in_app switch, then bo's global in_app switch, as each answer says
    assert out["prefs"] == [True, False, True, False, True]
    assert (out["off_workflow"], out["on_workflow"]) == (SKIPPED, SENT)
    assert (out["off_global"], out["on_global"]) == (SKIPPED, SENT)
    assert out["topic"] == ["crew", ["bo", "cy"], {}]
    assert out["one"] == [True, "processed", "tx-one"]
    assert out["bulk_trigger"] == [["processed", "bulk-1"], ["processed", "bulk-2"], ["processed", "bulk-3"]]
    assert out["topic_trigger"] == [True, "tx-topic"]
    assert out["cancel"] == [None, "no error"]  # novu 1.14's delete returns nothing; the outcome shows it worked
    assert_deliveries(out)
    assert out["after_delete"] == ["HTTPError", 404]
    assert await story.pipeline.messages(transaction_id="tx-later") == []
