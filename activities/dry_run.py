"""A dry run: what a trigger would do, step by step for each recipient, without doing any of it.

The same rules as a real run (``core.conditions``, the preference rule through ``StepContent``,
the throttle's count, rendering in the layout with translations, the provider choice), read in one
session that is rolled back at the end: no subscriber upsert, no notification, no message, no
throttle claim, no digest entry, nothing sent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity

from activities.content import StepContent, load_content
from activities.context import actor_view, recipient, subscriber_view, tenant_view
from activities.digest import group_id
from activities.dry_run_recipients import Reached, reached
from activities.evidence import preference_evidence
from activities.ledger import Collector
from activities.providers import ProviderSource
from activities.throttle import throttle_scope, window_from
from channels import Channel, ProviderContext
from channels.steps import STEP_KINDS, Unreachable
from core.action_controls import DelayControls, DigestControls, ThrottleControls
from core.conditions import compared, evaluate, parse
from core.dry_run_payloads import DryRunInput, DryRunRecipient, DryRunResult, DryRunStep
from core.paths import read_path
from core.payloads import StepSpec, TriggerContext
from store import action_state, preferences, subscribers, tenants
from store.engine import Sessions
from templates import TemplateRenderer, TemplateRenderError

CONDITIONS = "conditions"


def _own(step: StepSpec) -> dict[str, Any]:
    return {k: v for k, v in step.controls.items() if k != CONDITIONS}


class DryRunActivities:
    def __init__(self, *, sessions: Sessions, renderer: TemplateRenderer, providers: ProviderSource,
                 allow_private_addresses: bool = False) -> None:
        self._sessions = sessions
        self._renderer = renderer
        self._providers = providers
        self._allow_private = allow_private_addresses

    @activity.defn
    async def dry_run(self, inp: DryRunInput) -> DryRunResult:
        """Who would receive what on which channel, and why not on the others."""
        ctx = inp.trigger.context
        env = uuid.UUID(ctx.environment_id)
        async with self._sessions() as session:
            try:
                everyone, missing, dropped = await reached(session, inp.trigger)
                shown = everyone[: max(inp.limit, 0)]
                result = DryRunResult(total=len(everyone), truncated=len(shown) < len(everyone),
                                      missing_topics=missing, dropped_actor=dropped)
                actor = await subscribers.get(session=session, environment_id=env,
                                              subscriber_id=ctx.actor.subscriber_id) if ctx.actor else None
                tenant = await tenants.get(session=session, environment_id=env,
                                           identifier=ctx.tenant.identifier) if ctx.tenant else None
                base = {"payload": ctx.payload, "actor": actor_view(ctx.actor, actor),
                        "tenant": tenant_view(ctx.tenant, tenant)}
                pks = [r.subscriber.id for r in shown if r.known]
                prefs = await preferences.for_subscribers(session=session, environment_id=env, subscriber_pks=pks,
                                                          workflow_id=uuid.UUID(ctx.workflow.id))
                rows = {r.subscriber.subscriber_id: DryRunRecipient(subscriber_id=r.subscriber.subscriber_id,
                                                                    resolved_by=r.resolved_by, known=r.known)
                        for r in shown}
                state = {sid: {"gone": False, "facts": {}} for sid in rows}
                now = datetime.now(UTC)
                for step in ctx.workflow.steps:
                    content = await load_content(session=session, environment_id=env, context=ctx, step=step,
                                                 kind=STEP_KINDS[step.type]) if step.type in STEP_KINDS else None
                    integration = await self._integration(step, ctx) if step.type in STEP_KINDS else None
                    for r in shown:
                        sid = r.subscriber.subscriber_id
                        if state[sid]["gone"]:
                            continue
                        decided = await self._step(session, ctx, step, r, base, state[sid], content, integration,
                                                   prefs, now)
                        rows[sid].steps.append(decided)
                        if decided.outcome == "throttled":
                            state[sid]["gone"] = True
                result.recipients = list(rows.values())
                return result
            finally:
                await session.rollback()  # a dry run leaves the store as it found it

    async def _integration(self, step: StepSpec, ctx: TriggerContext) -> str | None:
        channel = Channel(STEP_KINDS[step.type].channel)
        candidates = await self._providers.providers_for(
            channel, environment_id=ctx.environment_id, overrides=ctx.overrides,
            context=ProviderContext(in_app_sink=Collector(), allow_private_addresses=self._allow_private),
        )
        return candidates[0].integration if candidates else None

    async def _step(
        self, session: Any, ctx: TriggerContext, step: StepSpec, r: Reached, base: dict[str, Any],
        state: dict[str, Any], content: StepContent | None, integration: str | None,
        prefs: Any, now: datetime,
    ) -> DryRunStep:
        sub = r.subscriber
        facts: dict[str, Any] = state["facts"]
        if not step.active:
            return DryRunStep(step_id=step.id, type=step.type, outcome="inactive", reason="the step is inactive")
        if step.controls.get(CONDITIONS):
            tree = parse(step.controls[CONDITIONS])
            data = {**base, "subscriber": subscriber_view(sub), "steps": facts}
            ok, why = evaluate(tree, data)
            if not ok:
                return DryRunStep(step_id=step.id, type=step.type, outcome="skipped",
                                  reason=f"condition not met: {why}", evidence={"conditions": compared(tree, data)})
        if step.type == "delay":
            controls = DelayControls.model_validate(_own(step))
            wait = controls.duration()
            words = f"would wait {wait}" if wait is not None else f"would wait until {controls.until} " \
                f"({read_path(ctx.payload, str(controls.until))!r})"
            return DryRunStep(step_id=step.id, type=step.type, outcome="would_wait", reason=words)
        if step.type == "digest":
            digest = DigestControls.model_validate(_own(step))
            path = digest.key_path()
            key = read_path(ctx.payload, path) if path else None
            group = group_id(ctx.environment_id, ctx.workflow.id, sub.subscriber_id, step.id, key)
            return DryRunStep(step_id=step.id, type=step.type, outcome="would_digest",
                              reason=f"would be merged into digest {group}; the steps after it run once per digest",
                              evidence={"digestWorkflowId": group, "digestKey": key})
        if step.type == "throttle":
            return await self._throttle(session, ctx, step, sub.subscriber_id, now)
        assert content is not None
        return self._channel(ctx, step, r, base, facts, content, integration, prefs)

    async def _throttle(self, session: Any, ctx: TriggerContext, step: StepSpec, sid: str, now: datetime) -> DryRunStep:
        controls = ThrottleControls.model_validate(_own(step))
        window = window_from(read_path(ctx.payload, controls.dynamicKey)) if controls.type == "dynamic" and \
            controls.dynamicKey else window_from({"amount": controls.amount, "unit": controls.unit})
        if window is None:
            return DryRunStep(step_id=step.id, type=step.type, outcome="would_pass", reason="no window: not throttled")
        path = controls.throttleKey
        key = read_path(ctx.payload, path if path.startswith("payload.") else f"payload.{path}") if path else None
        used = await action_state.throttle_used(
            session=session, scope=throttle_scope(ctx.environment_id, ctx.workflow.id, step.id, sid, key),
            since=now - timedelta(seconds=window),
        )
        evidence = {"limit": controls.threshold, "windowSeconds": window, "used": used, "key": key}
        if used < controls.threshold:
            return DryRunStep(step_id=step.id, type=step.type, outcome="would_pass", evidence=evidence,
                              reason=f"{used} of {controls.threshold} per {window:g}s used")
        return DryRunStep(step_id=step.id, type=step.type, outcome="throttled", evidence=evidence,
                          reason=f"the limit of {controls.threshold} per {window:g}s is reached")

    def _channel(
        self, ctx: TriggerContext, step: StepSpec, r: Reached, base: dict[str, Any], facts: dict[str, Any],
        content: StepContent, integration: str | None, prefs: Any,
    ) -> DryRunStep:
        sub, kind = r.subscriber, STEP_KINDS[step.type]
        facts[step.id] = {"seen": False, "read": False, "delivered": False}
        global_row, workflow_row = prefs.get(sub.id, (None, None)) if r.known else (None, None)
        allowed, why = content.allowed(step.type, workflow=ctx.workflow, global_row=global_row,
                                       workflow_row=workflow_row)
        if not allowed:
            return DryRunStep(step_id=step.id, type=step.type, outcome="skipped", reason=f"{step.type} is off ({why})",
                              evidence=preference_evidence(why, channel=step.type, workflow=ctx.workflow,
                                                           global_row=global_row, workflow_row=workflow_row))
        rendered: dict[str, str] | None = None
        try:
            step_base = {**base, "step": {"events": [ctx.payload], "total_count": 1}}
            rendered = content.render(self._renderer, kind, step, step_base, sub)
            kind.build_message(rendered, recipient=recipient(sub), payload=ctx.payload, controls=step.controls,
                               key="dry-run")
        except Unreachable as exc:  # the content is still shown (a step preview needs no address)
            return DryRunStep(step_id=step.id, type=step.type, outcome="skipped", reason=str(exc), content=rendered)
        except (TemplateRenderError, ValueError) as exc:
            return DryRunStep(step_id=step.id, type=step.type, outcome="failed", reason=f"rendering failed: {exc}")
        if integration is None:
            return DryRunStep(step_id=step.id, type=step.type, outcome="failed", content=rendered,
                              reason=f"no active integration for the {kind.channel.value} channel")
        facts[step.id]["delivered"] = True
        return DryRunStep(step_id=step.id, type=step.type, outcome="would_send", integration=integration,
                          content=rendered, reason=f"would be sent by {integration}")
