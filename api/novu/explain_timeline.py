"""Turn what was recorded about a transaction into per-recipient timelines and one-line reasons.

Pure: the store's rows, the trigger's input and the runs' delay timers go in, the explanation
comes out as the wire's dicts (``api.novu.explain_wire``). Every entry is an execution detail, a
job or a timer that really exists; the words of the ``summary`` are derived from the entry that
decided the outcome, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from api.novu.explain_wire import EntryData, RecipientData, RunLinkData, StepStateData, entry
from api.novu.schemas.explain import EntryStatus, Outcome, Stage
from api.operations.run_histories import DelayTimer
from core.payloads import TriggerInput
from store.explanations import DetailRecord, JobRecord, MessageRecord, NotificationRecord

FINAL = frozenset({"completed", "skipped", "failed"})
_STATUS: dict[str, EntryStatus] = {"success": "success", "warning": "warning", "failed": "failed"}
_NOT_CHANNELS = frozenset({"delay", "digest", "throttle"})
_NOT_SENT = frozenset({"transmitting", "error", "warning"})


def _stage(d: DetailRecord) -> Stage:
    raw = d.raw or {}
    decision = raw.get("decision")
    text = d.detail
    if decision == "condition":
        return "condition"
    if decision == "preference":
        return "preference"
    if decision == "throttle":
        return "throttle"
    if text.startswith("Step skipped: condition not met"):
        return "condition"
    if text.startswith("Step skipped:") and " is off (" in text:
        return "preference"
    if text.startswith(("Throttle", "Not throttled")):
        return "throttle"
    if text.startswith(("Merged into digest", "Digest skipped")):
        return "digest"
    if text.startswith("Rendering failed"):
        return "render"
    if "being transmitted" in text or "outcome unknown" in text:
        return "outcome_unknown"
    if "will retry" in text:
        return "retry"
    if "trying the next integration" in text:
        return "failover"
    if d.provider_id is not None or text.startswith("No active integration"):
        return "attempt"
    if text.startswith("Step skipped:"):
        return "reachability"
    return "step"


def _evidence(d: DetailRecord) -> dict[str, Any]:
    evidence = {k: v for k, v in (d.raw or {}).items() if k != "decision"}
    if d.provider_id is not None:
        evidence["providerId"] = d.provider_id
    if d.duration_ms is not None:
        evidence["durationMs"] = d.duration_ms
    if d.source and d.source != "internal":
        evidence["source"] = d.source
    return evidence


def detail_entry(d: DetailRecord) -> EntryData:
    return {"at": d.created_at, "stage": _stage(d), "stepId": d.step_id, "channel": d.channel,
            "status": _STATUS.get(d.status, "info"), "decision": d.detail, "evidence": _evidence(d)}


def timer_entry(t: DelayTimer) -> EntryData:
    status: EntryStatus
    if t.ended == "fired":
        late = (t.ended_at - t.planned_end).total_seconds() if t.ended_at else 0.0
        words = f"Delay ended at {_stamp(t.ended_at)} (planned {_stamp(t.planned_end)})"
        status = "success"
    elif t.ended == "cancelled":
        late, status = 0.0, "warning"
        # A cancelled timer: the run was fast-forwarded or cancelled (the run's status tells which).
        words = f"Delay cut short at {_stamp(t.ended_at)} (planned {_stamp(t.planned_end)})"
    else:
        late, words, status = 0.0, f"Waiting in a delay until {_stamp(t.planned_end)}", "info"
    evidence = {"startedAt": t.started_at.isoformat(), "plannedEnd": t.planned_end.isoformat(),
                "realEnd": t.ended_at.isoformat() if t.ended_at else None, "ended": t.ended,
                "lateSeconds": round(late, 3), "workflowId": t.workflow_id}
    return entry("delay", status, words, evidence, at=t.started_at, step_id=t.step_id, channel="delay")


def _stamp(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "?"


def trigger_entry(trigger: TriggerInput) -> EntryData:
    """The synchronous checks the trigger passed (a refused trigger starts nothing and is not recorded).

    The same for every recipient: built once per transaction and shared by their timelines."""
    ctx = trigger.context
    words = f"Trigger accepted: workflow {ctx.workflow.identifier!r} is active"
    words += f" for tenant {ctx.tenant.identifier!r}" if ctx.tenant else ""
    evidence = {"workflow": ctx.workflow.identifier, "version": ctx.workflow.version, "critical": ctx.workflow.critical,
                "tenant": ctx.tenant.identifier if ctx.tenant else None,
                "actor": ctx.actor.subscriber_id if ctx.actor else None, "replayOf": ctx.replay_of}
    return entry("trigger", "success", words, evidence)


def recipient_entry(
    n: NotificationRecord, trigger: TriggerInput | None, topics: Sequence[str], listed_ids: frozenset[str]
) -> EntryData:
    """How the recipient was reached: listed, through which topics, deduplicated, or a broadcast."""
    listed = n.subscriber_id in listed_ids
    evidence: dict[str, Any] = {"listed": listed, "topics": list(topics), "run": n.temporal_workflow_id}
    if trigger is not None and trigger.everyone:
        words = "Resolved as a subscriber of the environment (broadcast)"
    elif listed:
        words = "Resolved directly: listed in the trigger's 'to'"
    elif topics:
        words = f"Resolved through topic {topics[0]!r}"
    elif trigger is not None and trigger.topic_keys:
        words = f"Resolved through topic(s) {', '.join(map(repr, trigger.topic_keys))} (no longer a member)"
    else:
        words = "Resolved as a recipient of the trigger"
    ways = int(listed) + len(topics)
    if ways > 1:
        words += f"; deduplicated: reached {ways} ways, notified once"
        evidence["deduplicated"] = True
    return entry("recipient", "success", words, evidence, at=n.created_at)


def _preference_words(e: EntryData, workflow: str) -> str:
    ev = e["evidence"]
    channel, rule = ev.get("channel") or e["channel"], ev.get("rule")
    when = ev.get("switchedAt")
    on = f" on {when[:19].replace('T', ' ')} UTC" if isinstance(when, str) else ""
    return {
        "subscriber workflow switch": f"the subscriber switched {channel} off for workflow {workflow!r}{on}",
        "subscriber global switch": f"the subscriber switched {channel} off for all workflows{on}",
        "tenant default": f"the tenant's default turns {channel} off for workflow {workflow!r}",
        "tenant workflow switch": f"the tenant switched workflow {workflow!r} off",
        "workflow default": f"workflow {workflow!r} has {channel} off by default",
        "critical": f"critical workflow {workflow!r} has {channel} off in its own defaults",
        "read-only": f"read-only workflow {workflow!r} has {channel} off in its own defaults",
    }.get(str(rule), e["decision"])


def _reason(e: EntryData, workflow: str) -> str:
    """The words of a deciding entry, for the summary."""
    step = f"step {e['stepId']!r}" if e["stepId"] else "a step"
    stage, evidence, decision = e["stage"], e["evidence"], e["decision"]
    if stage == "preference":
        return _preference_words(e, workflow)
    if stage == "condition":
        failed = [c for c in evidence.get("conditions", []) if not c.get("passed")]
        if failed:
            c = failed[0]
            seen = f"{c['actual']!r}" if c.get("defined") else "missing"
            rule = f"{c['field']} {c['op']} {c['expected']!r}"
            return f"{step} skipped: condition {rule} was false ({c['field']} was {seen})"
        return f"{step} skipped: {decision.removeprefix('Step skipped: ')}"
    if stage == "throttle":
        window = evidence.get("windowSeconds")
        return f"throttled by {step}: the limit of {evidence.get('limit')} per {window:g}s was reached" \
            if isinstance(window, (int, float)) else f"throttled by {step}"
    if stage == "digest":
        return f"merged into digest {evidence.get('digestWorkflowId')}; the digest's run sends it"
    if stage == "outcome_unknown":
        return f"outcome unknown on {e['channel']}: {decision}"
    if stage in ("attempt", "render"):
        return f"{e['channel']} {decision[0].lower()}{decision[1:]}"
    return f"{step}: {decision}"


def _at(e: EntryData) -> tuple[bool, datetime]:
    at = e["at"]
    return (True, datetime.min) if at is None else (False, at)


def explain_recipient(
    n: NotificationRecord, *, details: Sequence[DetailRecord], jobs: Sequence[JobRecord],
    messages: Sequence[MessageRecord], trigger: TriggerInput | None, opening: EntryData | None,
    topics: Sequence[str], timers: Sequence[DelayTimer], runs: list[RunLinkData], running: bool,
    listed_ids: frozenset[str],
) -> RecipientData:
    """One recipient's timeline; ``opening`` is the transaction's ``trigger_entry`` (when its input is known)."""
    timeline = [recipient_entry(n, trigger, topics, listed_ids), *map(detail_entry, details), *map(timer_entry, timers)]
    if len(timeline) > 1:
        timeline.sort(key=_at)
    if opening is not None:
        timeline.insert(0, opening)
    steps: list[StepStateData] = [{"stepId": j.step_id, "type": j.step_type, "status": j.status} for j in jobs]
    sent = [m for m in messages if m.status not in _NOT_SENT]
    unknown = [m for m in messages if m.status == "warning" or (m.status == "transmitting" and not running)]
    channel_jobs = [j for j in jobs if j.step_type not in _NOT_CHANNELS]
    workflow = n.workflow_identifier
    outcome: Outcome
    digested = next((e for e in timeline if e["stage"] == "digest" and e["decision"].startswith("Merged")), None)
    if digested is not None:
        outcome, summary = "digested", _reason(next(e for e in timeline if e["stage"] == "digest"), workflow)
    elif running and (not channel_jobs or any(j.status not in FINAL for j in channel_jobs)
                      or any(m.status == "transmitting" for m in messages)):
        waiting = next((e for e in reversed(timeline)
                        if e["stage"] == "delay" and e["evidence"].get("ended") == "waiting"), None)
        outcome, summary = "pending", waiting["decision"] if waiting else "in progress: the run has not finished"
    elif unknown and not sent:
        deciding = _deciding(timeline)
        outcome, summary = "unknown", _reason(deciding, workflow) if deciding else "outcome unknown"
    elif sent and not unknown and all(j.status == "completed" for j in channel_jobs):
        outcome = "sent"
        summary = "sent on " + ", ".join(dict.fromkeys(f"{m.channel} by {m.provider_id}" for m in sent))
    elif sent:
        deciding = _deciding(timeline)
        outcome = "partially_sent"
        summary = "sent on " + ", ".join(dict.fromkeys(m.channel for m in sent))
        summary += f"; not on the others: {_reason(deciding, workflow)}" if deciding else ""
    else:
        deciding = _deciding(timeline)
        outcome = "not_sent"
        summary = "not sent: " + (_reason(deciding, workflow) if deciding else "no step sent anything")
    timeline.append(entry("outcome", _OUTCOME_STATUS.get(outcome, "failed"), summary, {
        "jobs": {j.step_id: j.status for j in jobs},
        "messages": [{"channel": m.channel, "status": m.status, "providerId": m.provider_id, "messageId": str(m.id),
                      "error": m.error_text} for m in messages]}))
    return {"subscriberId": n.subscriber_id, "notificationId": str(n.id), "outcome": outcome, "summary": summary,
            "steps": steps, "timeline": timeline, "runs": runs}


def _deciding(timeline: Sequence[EntryData]) -> EntryData | None:
    """The first entry that stopped a delivery (skipped, throttled, failed), else the last warning."""
    stopping = ("preference", "condition", "throttle", "reachability", "render", "outcome_unknown")
    for e in timeline:
        stage = e["stage"]
        if stage in stopping and (stage != "throttle" or e["decision"].startswith("Throttled")):
            return e
        if stage in ("attempt", "step") and e["status"] == "failed":
            return e
    return None


_OUTCOME_STATUS: dict[str, EntryStatus] = {
    "sent": "success", "digested": "success", "pending": "info", "partially_sent": "warning", "unknown": "warning",
}


def actor_explanation(subscriber_id: str, trigger: TriggerInput, runs: list[RunLinkData]) -> RecipientData:
    """The actor of a topic or broadcast trigger is left out of it; nothing was recorded for them."""
    words = "not sent: the subscriber was the actor of the event, and actors are left out of its recipients"
    dropped = entry("recipient", "warning", "Dropped as the actor of the event",
                    {"actor": subscriber_id, "topics": trigger.topic_keys, "broadcast": trigger.everyone})
    return {"subscriberId": subscriber_id, "notificationId": None, "outcome": "not_sent", "summary": words,
            "steps": [], "timeline": [dropped], "runs": runs}


def transaction_summary(recipients: Sequence[RecipientData]) -> str:
    counts: dict[str, int] = {}
    for r in recipients:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    if len(recipients) == 1:
        return recipients[0]["summary"]
    return f"{len(recipients)} recipient(s): " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
