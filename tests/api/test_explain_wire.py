"""The explanation's wire dicts serialize to exactly what its documented models write.

The route answers with dicts built without models (``api.novu.explain_wire``) while the OpenAPI
documents ``ExplanationEnvelope``: a key left out, misnamed or out of order would break that
promise silently, so every kind of entry is built here and round-tripped through the models.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from api.novu.explain_timeline import actor_explanation, explain_recipient, transaction_summary, trigger_entry
from api.novu.explain_wire import ExplanationData, envelope_json, run_link
from api.novu.schemas.explain import ExplanationEnvelope
from api.operations.run_histories import DelayTimer
from core.payloads import SubscriberInput, TriggerContext, TriggerInput, WorkflowSnapshot
from store.explanations import DetailRecord, JobRecord, MessageRecord, NotificationRecord

AT = datetime(2026, 12, 2, 9, 14, 3, 120000, tzinfo=UTC)


def _trigger() -> TriggerInput:
    workflow = WorkflowSnapshot(id=str(uuid.uuid4()), identifier="news", name="News", steps=[], version=3)
    context = TriggerContext(environment_id="env", organization_id="org", transaction_id="tx", workflow=workflow,
                             actor=SubscriberInput(subscriber_id="boss"))
    return TriggerInput(context=context, subscribers=[SubscriberInput(subscriber_id="ada")], topic_keys=["red"])


def _recipient(trigger: TriggerInput) -> tuple[ExplanationData, str]:
    n = NotificationRecord(uuid.uuid4(), "ada", "news", "batch:1", AT)
    details = [
        DetailRecord("ada", AT + timedelta(seconds=1), "inbox", "in_app", "success", "Message sent", "internal",
                     "clarion", 12, None),
        DetailRecord("ada", AT + timedelta(seconds=2), "mail", "email", "warning",
                     "Step skipped: email is off (subscriber workflow switch)", "internal", None, None,
                     {"decision": "preference", "rule": "subscriber workflow switch", "channel": "email",
                      "switchedAt": "2026-12-01T08:00:00+00:00", "redriveWorkflowId": "redrive:env:tx"}),
    ]
    jobs = [JobRecord("ada", "wait", "delay", "completed"), JobRecord("ada", "inbox", "in_app", "completed"),
            JobRecord("ada", "mail", "email", "skipped")]
    messages = [MessageRecord("ada", uuid.uuid4(), "in_app", "sent", "clarion", None)]
    timer = DelayTimer("batch:1", "wait", AT, AT + timedelta(seconds=1), AT + timedelta(seconds=1, milliseconds=5),
                       "fired")
    links = [run_link("trigger:env:tx", "trigger", "http://ui/trigger", "completed"),
             run_link("batch:1", "batch", "http://ui/batch", "completed"),
             run_link("redrive:env:tx", "redrive", "http://ui/redrive")]
    ada = explain_recipient(n, details=details, jobs=jobs, messages=messages, trigger=trigger,
                            opening=trigger_entry(trigger), topics=["red"], timers=[timer], runs=links,
                            running=False, listed_ids=frozenset({"ada"}))
    boss = actor_explanation("boss", trigger, links[:1])
    recipients = [ada, boss]
    data: ExplanationData = {
        "transactionId": "tx", "workflowIdentifier": "news", "workflowId": trigger.context.workflow.id,
        "status": "completed", "summary": transaction_summary(recipients), "workflowVersion": 3, "replayOf": None,
        "replays": ["tx-again"], "recipients": recipients, "runs": links[:1],
    }
    return data, ada["summary"]


def test_the_wire_dicts_serialize_as_the_documented_models_do() -> None:
    data, summary = _recipient(_trigger())
    body = envelope_json(data)
    model = ExplanationEnvelope.model_validate_json(body)
    assert model.model_dump_json(by_alias=True).encode() == body
    ada, boss = model.data.recipients
    assert ada.outcome == "partially_sent" and summary == ada.summary
    assert summary == ("sent on in_app; not on the others: the subscriber switched email off for workflow 'news' "
                       "on 2026-12-01 08:00:00 UTC")
    assert [e.stage for e in ada.timeline] == ["trigger", "recipient", "delay", "attempt", "preference", "outcome"]
    assert ada.timeline[1].decision == ("Resolved directly: listed in the trigger's 'to'; "
                                        "deduplicated: reached 2 ways, notified once")
    assert boss.outcome == "not_sent" and boss.notification_id is None
    assert model.data.summary == "2 recipient(s): 1 partially sent, 1 not sent"
