from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings


def test_placeholder_secret_refused_outside_dev(monkeypatch):
    monkeypatch.delenv("CLARION_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="CLARION_SECRET_KEY"):
        Settings(mode="production")
    assert Settings(mode="dev").mode == "dev"
    assert Settings(mode="production", secret_key="a-real-secret-value").mode == "production"


def test_nested_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("CLARION_API__PORT", "4100")
    monkeypatch.setenv("CLARION_TEMPORAL__ADDRESS", "10.0.0.1:7233")
    monkeypatch.setenv("CLARION_DATA_DIR", str(tmp_path))
    settings = Settings(mode="dev")
    assert settings.api.port == 4100
    assert settings.temporal.address == "10.0.0.1:7233"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'clarion.db'}"
