"""docker-compose.yml cannot run here (no Docker engine): check it parses and sets real settings."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _setting_exists(variable: str) -> bool:
    parts = variable.removeprefix("CLARION_").lower().split("__")
    fields = Settings.model_fields
    for part in parts[:-1]:
        if part not in fields:
            return False
        annotation = fields[part].annotation
        fields = annotation.model_fields  # type: ignore[union-attr]
    return parts[-1] in fields


def test_compose_parses_and_every_clarion_variable_is_a_setting():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"postgres", "temporal", "temporal-ui", "mailpit", "api", "worker"} <= set(compose["services"])
    variables = set()
    for service in compose["services"].values():
        variables |= {k for k in (service.get("environment") or {}) if k.startswith("CLARION_")}
    assert variables, "compose sets no Clarion setting"
    unknown = sorted(v for v in variables if not _setting_exists(v))
    assert unknown == []
    assert set(compose["volumes"]) == {"postgres-data", "mail-data"}


def test_setting_lookup_rejects_a_misspelt_variable():
    assert _setting_exists("CLARION_DATABASE__URL")
    assert not _setting_exists("CLARION_DATABASE__URI")
    assert not _setting_exists("CLARION_NOPE__URL")
