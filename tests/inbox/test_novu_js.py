"""Novu's ``@novu/js`` 3.19.2, unchanged, in Node against a real Clarion (tests/inbox_js/story.mjs)."""

from __future__ import annotations

from tests.inbox.conftest import Clarion


async def test_novu_js_whole_story(clarion: Clarion):
    out = await clarion.node("story.mjs", clarion.url, clarion.key, clarion.environment_id)
    hmac_message = "Please provide a valid HMAC hash"
    assert out["hmac_missing"] == {"status": 400, "message": hmac_message}
    assert out["hmac_wrong"] == {"status": 400, "message": hmac_message}
    assert out["session_ok"] is True and out["empty"] == 0 and out["trigger"] == 201
    assert out["received"]["to"] == "ada" and out["received"]["body"] == "Order 42 is ready"
    assert out["received"]["subject"] == "Order 42" and out["received"]["primary"] == "Open"
    assert out["received"]["isRead"] is False
    assert out["unread_event"]["total"] == 1 and out["unread_event"]["severity"]["none"] == 1
    assert out["unseen_event"] == 1
    assert out["listed"] == [{"id": out["received"]["id"], "severity": "none", "channelType": "in_app"}]
    assert out["bob_listed"] == 0 and out["bob_events"] == 0 and out["bob_read_foreign"] == 404
    assert out["count"] == [1, 0]
    assert (out["read"], out["unread"], out["archive"], out["unarchive"]) == (True, False, True, False)
    assert (out["complete"], out["revert"]) == (True, False)
    assert out["snooze"] is True and out["hidden"] is False
    assert out["woke"] == {"isRead": False, "isSnoozed": False}
    assert out["pref_levels"][0] == "global" and "template" in out["pref_levels"]
    assert out["pref_update"] is False
    assert out["after_delete"] == 0
    assert out["bogus_socket"] == "unauthorized"
