"""A dry run's answer (``dryRun: true`` on a trigger): per recipient, what each step would do."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from core.dry_run_payloads import DryOutcome, DryRunResult


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class DryRunStepDto(_Camel):
    step_id: str
    type: str
    outcome: DryOutcome
    reason: str = ""
    integration: str | None = None
    content: dict[str, str] | None = Field(default=None, description="the rendered fields (subject, body, ...)")
    evidence: dict[str, Any] = Field(default_factory=dict)


class DryRunRecipientDto(_Camel):
    subscriber_id: str
    resolved_by: str
    known: bool
    steps: list[DryRunStepDto]


class DryRunAnswer(_Camel):
    recipients: list[DryRunRecipientDto]
    total: int
    truncated: bool = Field(description="only the first recipients were evaluated; total counts them all")
    missing_topics: list[str]
    dropped_actor: str | None = None

    @classmethod
    def of(cls, result: DryRunResult) -> DryRunAnswer:
        return cls.model_validate(result.model_dump())
