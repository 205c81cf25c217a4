"""What a step's content needs besides its own templates: the email layout, the environment's
translations and the trigger's tenant's override of the workflow, loaded once per activity call.

Nothing is cached across calls: a layout or translation changed a second ago is what the next
send uses (correctness over a few queries per batch).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activities.context import subscriber_view
from activities.preferences import channel_allowed
from channels.steps import StepKind, template_sources
from core.payloads import StepSpec, TriggerContext, WorkflowSnapshot
from store import layouts, tenant_overrides, translations
from store.models import Subscriber, SubscriberPreference
from templates import TemplateRenderer, TemplateRenderError, Translations
from templates.layout import BODY
from templates.translations import DEFAULT_FALLBACK_LOCALE

# Any mention of the name ``t`` (a call, or passing the function on): load the translations.
_USES_T = re.compile(r"\bt\b")


@dataclass(frozen=True)
class StepContent:
    """The layout, translations and tenant override one step renders and decides with.

    Attributes:
        layout: The email layout's source, or None to send the body as rendered.
        layout_problem: Why the step's named layout cannot be used (it no longer exists), or None.
        translations: The environment's messages with its fallback locale (empty when unused).
        tenant_preferences: The tenant's override of the workflow's preference defaults, or None.
        tenant_inactive: The trigger's tenant switched this workflow off (after the event was accepted).
        tenant: The tenant's identifier, for the reasons recorded.
    """

    layout: str | None = None
    layout_problem: str | None = None
    translations: Translations = field(default_factory=lambda: Translations({}))
    tenant_preferences: Mapping[str, Any] | None = None
    tenant_inactive: bool = False
    tenant: str | None = None

    def allowed(
        self, channel: str, *, workflow: WorkflowSnapshot, global_row: SubscriberPreference | None,
        workflow_row: SubscriberPreference | None,
    ) -> tuple[bool, str]:
        """The preference decision for one subscriber, with the tenant's override in its place."""
        if self.tenant_inactive:
            return False, f"workflow deactivated for tenant {self.tenant!r}"
        return channel_allowed(channel, workflow=workflow, global_row=global_row, workflow_row=workflow_row,
                               tenant_defaults=self.tenant_preferences)

    def render(
        self, renderer: TemplateRenderer, kind: StepKind, step: StepSpec, base: Mapping[str, Any], sub: Subscriber
    ) -> dict[str, str]:
        """Render the step's template fields for one subscriber, in their locale, inside the layout."""
        context = {**base, "subscriber": subscriber_view(sub), "t": self.translations.translator(sub.locale)}
        rendered = renderer.render_fields(
            template_sources(kind, step.controls), context, html_fields=kind.html_fields(), step=step.id,
            syntax=step.syntax,
        )
        if self.layout_problem is not None:
            raise TemplateRenderError(self.layout_problem, field="layoutId", step=step.id)
        if self.layout is not None and BODY in rendered:
            try:
                rendered[BODY] = renderer.render_in_layout(
                    self.layout, rendered[BODY], {**context, "subject": rendered.get("subject", "")}
                )
            except TemplateRenderError as exc:
                raise exc.located(field="layout", step=step.id) from exc
        return rendered


async def _layout(
    session: AsyncSession, environment_id: uuid.UUID, step: StepSpec
) -> tuple[str | None, str | None]:
    if step.type != "email":
        return None, None
    if "layoutId" in step.controls:
        key = step.controls["layoutId"]
        if key is None:  # explicitly no layout
            return None, None
        named = await layouts.get(session=session, environment_id=environment_id, key=str(key))
        if named is None:
            return None, f"layout {key!r} does not exist (deleted or renamed after the workflow was saved)"
        return named.content, None
    default = await layouts.get_default(session=session, environment_id=environment_id)
    return (default.content if default is not None else None), None


async def _translations(session: AsyncSession, environment_id: uuid.UUID) -> Translations:
    rows = await translations.all_for(session=session, environment_id=environment_id)
    fallback = await translations.fallback_locale(session=session, environment_id=environment_id)
    return Translations({row.locale: row.messages for row in rows}, fallback_locale=fallback or DEFAULT_FALLBACK_LOCALE)


async def load_content(
    *, session: AsyncSession, environment_id: uuid.UUID, context: TriggerContext, step: StepSpec, kind: StepKind
) -> StepContent:
    """Load what one step of one batch needs; queries only what the step uses."""
    layout, problem = await _layout(session, environment_id, step)
    sources = [*template_sources(kind, step.controls).values(), layout or ""]
    loaded = await _translations(session, environment_id) if any(_USES_T.search(s) for s in sources) else None
    tenant = context.tenant.identifier if context.tenant else None
    override = await tenant_overrides.for_identifier(
        session=session, environment_id=environment_id, tenant_identifier=tenant,
        workflow_id=uuid.UUID(context.workflow.id),
    ) if tenant else None
    return StepContent(
        layout=layout, layout_problem=problem, translations=loaded or Translations({}),
        tenant_preferences=override.preferences if override is not None else None,
        tenant_inactive=override is not None and override.active is False, tenant=tenant,
    )
