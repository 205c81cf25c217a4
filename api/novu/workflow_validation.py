"""Novu's workflow DTOs to and from Clarion's stored form, checked when a workflow is saved.

A stored step is what ``clarion/seed.py`` writes and the run workflow reads::

    {"id": <stepId>, "_id": <uuid>, "name": str, "type": str, "active": bool, "controls": {...}}

Step types come only from ``channels.steps.STEP_KINDS`` (channel steps, with templates) and
``core.action_controls.ACTION_CONTROLS`` (action steps such as delay, controls only, no templates): a new
kind module is accepted and validated here with no change to this file.
"""

from __future__ import annotations

import builtins
import functools
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from pydantic import BaseModel, ValidationError

from api.errors import BadRequest
from api.novu.schemas.workflows import (
    ControlsMetadataDto,
    PreferencesRequestDto,
    StepResponseDto,
    StepUpsertDto,
    WorkflowPreferencesDto,
)
from channels.base import Channel
from channels.steps import STEP_KINDS, StepKind, template_sources
from core.action_controls import ACTION_CONTROLS
from core.conditions import ConditionError, parse, step_refs
from store.models import NotificationWorkflow
from templates.environment import CONTEXT_ROOTS
from templates.renderer import Syntax, TemplateRenderer

_NO_SANITIZE = "disableOutputSanitization"


class _Kind(Protocol):
    """What validation needs of a step kind, channel or action."""

    @property
    def type(self) -> str: ...

    @property
    def controls_model(self) -> builtins.type[BaseModel]: ...


@dataclass(frozen=True)
class _ActionKind:
    type: str
    controls_model: builtins.type[BaseModel]


_ACTION_KINDS = {name: _ActionKind(name, model) for name, model in ACTION_CONTROLS.items()}


def _kind(step_type: str) -> _Kind | None:
    return STEP_KINDS.get(step_type) or _ACTION_KINDS.get(step_type)


def slugify(text: str) -> str:
    """Novu's slug of a name: ``"Welcome email!"`` becomes ``"welcome-email"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def step_uuid(workflow_id: uuid.UUID, step: Mapping[str, Any]) -> str:
    # Steps written by the seed have no ``_id``; derive a stable one so that clients can echo it back.
    return str(step.get("_id") or uuid.uuid5(workflow_id, str(step["id"])))


class Problems:
    """Every problem of one save, so the caller sees them all in one 400."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.fields[field] = f"{self.fields[field]}; {message}" if field in self.fields else message

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.items()))
            raise BadRequest(f"Invalid workflow: {first[0]}: {first[1]}", field_errors=self.fields)


def _controls(
    kind: _Kind, raw: Mapping[str, Any], where: str, label: str, problems: Problems
) -> dict[str, Any] | None:
    fields = kind.controls_model.model_fields
    if raw.get(_NO_SANITIZE) is False and _NO_SANITIZE not in fields:
        # novu-py sends Novu's default ``false`` on every step. Clarion has no switch to turn its
        # output escaping off, so ``false`` changes nothing; ``true`` still fails below.
        raw = {k: v for k, v in raw.items() if k != _NO_SANITIZE}
    try:
        model = kind.controls_model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            path = ".".join(str(p) for p in err["loc"])
            problems.add(f"{where}.controlValues" + (f".{path}" if path else ""), f"{label}: {err['msg']}")
        return None
    # Defaults filled in and nulls dropped, so the stored form is complete and renders as saved.
    controls: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    if "layoutId" in raw and raw["layoutId"] is None and "layoutId" in fields:
        controls["layoutId"] = None  # email: null means "no layout", unlike absent ("the default layout")
    return controls


def _conditions(
    raw: Any, where: str, label: str, earlier: Sequence[str], problems: Problems
) -> Any:
    """Step conditions (``controlValues.conditions``) as saved, or None after adding the problems."""
    field = f"{where}.controlValues.conditions"
    try:
        tree = parse(raw)
    except ConditionError as exc:
        problems.add(field + (f".{exc.path}" if exc.path else ""), f"{label}: {exc.message}")
        return None
    for ref in sorted(step_refs(tree) - set(earlier)):
        problems.add(field, f'{label}: steps.{ref} is not an earlier step of this workflow')
    return raw


def _check_templates(
    kind: StepKind, controls: Mapping[str, Any], where: str, label: str, renderer: TemplateRenderer, problems: Problems,
    syntax: Syntax,
) -> None:
    for path, source in template_sources(kind, controls).items():
        field = f"{where}.controlValues.{path}"
        for problem in renderer.validate(source, field=field, allowed_roots=CONTEXT_ROOTS, syntax=syntax):
            line = f" line {problem.line}" if problem.line is not None else ""
            problems.add(field, f"{label}{line}: {problem.message}")


class _Identities:
    """Gives each incoming step its stepId and ``_id``, reusing those of the step it replaces.

    A step keeps its ``_id`` when the client echoes it back or sends the same stepId again, so
    execution history stays attached to it across edits.
    """

    def __init__(self, workflow_id: uuid.UUID | None, existing: Sequence[Mapping[str, Any]]) -> None:
        self._workflow_id = workflow_id
        self._by_uuid = {step_uuid(workflow_id, s): s for s in existing} if workflow_id else {}
        self._by_step_id = {str(s["id"]): s for s in existing}
        self._used: set[str] = set()
        self.seen_step_ids: set[str] = set()

    def resolve(self, dto: StepUpsertDto) -> tuple[str, str, Mapping[str, Any] | None]:
        previous = self._by_uuid.get(dto.id) if dto.id else None
        step_id = dto.step_id or (str(previous["id"]) if previous else slugify(dto.name))
        previous = previous or self._by_step_id.get(step_id)
        uid = step_uuid(self._workflow_id, previous) if previous and self._workflow_id else str(uuid.uuid4())
        if uid in self._used:
            uid = str(uuid.uuid4())
        self._used.add(uid)
        return step_id, uid, previous


def build_steps(
    dtos: Sequence[StepUpsertDto],
    *,
    renderer: TemplateRenderer,
    problems: Problems,
    workflow_id: uuid.UUID | None = None,
    existing: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Validate Novu step DTOs (``name, type, stepId?, _id?, controlValues``) into stored steps."""
    identities = _Identities(workflow_id, existing)
    steps: list[dict[str, Any]] = []
    order: list[str] = []  # step ids so far: conditions may read the outcome of earlier steps only
    for i, dto in enumerate(dtos):
        where = f"steps[{i}]"
        step_id, uid, previous = identities.resolve(dto)
        label = f'step "{step_id or dto.name}" ({dto.name})'
        if not step_id:
            problems.add(f"{where}.stepId", f"{label}: cannot derive a stepId from the name; send stepId")
        elif step_id in identities.seen_step_ids:
            problems.add(f"{where}.stepId", f'{label}: duplicate stepId "{step_id}"')
        identities.seen_step_ids.add(step_id)
        kind = _kind(dto.type)
        if kind is None:
            supported = ", ".join(sorted([*STEP_KINDS, *ACTION_CONTROLS]))
            problems.add(f"{where}.type", f'{label}: unsupported step type "{dto.type}"; supported: {supported}')
            continue
        values = dict(dto.control_values or {})
        conditions = _conditions(values.pop("conditions"), where, label, order, problems) \
            if values.get("conditions") is not None else None
        values.pop("conditions", None)
        order.append(step_id)
        controls = _controls(kind, values, where, label, problems)
        # New steps speak Novu's Liquid; a step saved before languages existed was Jinja and stays so.
        syntax: Syntax = dto.template_syntax or ("liquid" if previous is None or previous.get("syntax") == "liquid"
                                                 else "jinja")
        if controls is None:
            continue
        if conditions is not None:
            controls["conditions"] = conditions
        if isinstance(kind, StepKind):  # action steps have no templates
            _check_templates(kind, controls, where, label, renderer, problems, syntax)
        active = bool(previous.get("active", True)) if previous else True
        steps.append({"id": step_id, "_id": uid, "name": dto.name, "type": kind.type, "active": active,
                      "controls": controls, "syntax": syntax})
    return steps


def normalize_preferences(raw: Mapping[str, Any] | WorkflowPreferencesDto | None) -> dict[str, Any]:
    """Novu's v2 preference shape with every channel present (missing switches default to on)."""
    prefs = raw if isinstance(raw, WorkflowPreferencesDto) else WorkflowPreferencesDto.model_validate(raw or {})
    channels = {channel.value: {"enabled": True} for channel in Channel}
    channels.update({name: {"enabled": value.enabled} for name, value in prefs.channels.items()})
    return {"all": {"enabled": prefs.all.enabled, "readOnly": prefs.all.read_only}, "channels": channels}


def preferences_from(
    request: PreferencesRequestDto | None, *, current: Mapping[str, Any] | None, problems: Problems
) -> dict[str, Any]:
    """The preferences to store: the user level wins over the workflow level, as in Novu."""
    if request is None:
        return normalize_preferences(current)
    level, chosen = ("user", request.user) if request.user is not None else ("workflow", request.workflow)
    known = {channel.value for channel in Channel}
    for name in (chosen.channels if chosen else {}):
        if name not in known:
            problems.add(f"preferences.{level}.channels.{name}", f"unknown channel; known: {', '.join(sorted(known))}")
    return normalize_preferences(chosen)


def check_payload_schema(schema: Mapping[str, Any] | None, problems: Problems) -> None:
    if schema is None:
        return
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        problems.add("payloadSchema", f"not a valid JSON Schema: {exc.message}")


@functools.cache
def _data_schema(step_type: str) -> dict[str, Any]:
    kind = _kind(step_type)
    assert kind is not None
    schema: dict[str, Any] = kind.controls_model.model_json_schema()
    return schema


def _variables(payload_schema: Mapping[str, Any] | None) -> dict[str, Any]:
    # What a step template may read, as Novu describes it: a JSON Schema of the render context
    # (``body`` exists only in layouts and ``t`` is the translator function, not data).
    roots: dict[str, Any] = {root: {"type": "object"} for root in sorted(CONTEXT_ROOTS - {"body", "t"})}
    roots["payload"] = dict(payload_schema) if payload_schema else {"type": "object"}
    return {"type": "object", "properties": roots}


def step_response(step: Mapping[str, Any], workflow: NotificationWorkflow, origin: str) -> StepResponseDto:
    """A stored step as Novu's step response."""
    controls = dict(step.get("controls") or {})
    step_type = str(step["type"])
    return StepResponseDto.model_validate({
        "_id": step_uuid(workflow.id, step),
        "stepId": step["id"],
        "slug": step["id"],
        "name": step.get("name") or step["id"],
        "type": step_type,
        "origin": origin,
        "workflowId": workflow.identifier,
        "workflowDatabaseId": str(workflow.id),
        "controls": ControlsMetadataDto(
            values=controls, data_schema=_data_schema(step_type) if _kind(step_type) else None
        ),
        "controlValues": controls,
        "templateSyntax": step.get("syntax", "jinja"),
        "variables": _variables(workflow.payload_schema),
    })
