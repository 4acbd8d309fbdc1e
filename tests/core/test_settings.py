"""Settings: fixed environment names, safe defaults, and no placeholder secrets in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hotline.core import crypto
from hotline.core.config import Settings


def _settings(monkeypatch, **env: str) -> Settings:
    for name in (
        "DATABASE_URL",
        "PUBLIC_BASE_URL",
        "LOG_LEVEL",
        "HOTLINE_ENVIRONMENT",
        "HOTLINE_SECRET_KEY",
        "HOTLINE_MATCHING_KEY",
        "HOTLINE_DATA_KEYS",
        "HOTLINE_DATA_KEY_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_default_database_is_a_sqlite_file_in_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert _settings(monkeypatch).database_url == f"sqlite:///{Path(tmp_path) / 'hotline.db'}"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_urls_are_read_with_the_psycopg_driver(monkeypatch, scheme):
    settings = _settings(monkeypatch, DATABASE_URL=f"{scheme}://u@db:5432/hotline")
    assert settings.database_url == "postgresql+psycopg://u@db:5432/hotline"


def test_fixed_names_are_read_and_normalised(monkeypatch):
    settings = _settings(monkeypatch, PUBLIC_BASE_URL="https://hotline.example.org/", LOG_LEVEL="debug")
    assert settings.public_base_url == "https://hotline.example.org"
    assert settings.log_level == "DEBUG"
    with pytest.raises(ValidationError, match="LOG_LEVEL"):
        _settings(monkeypatch, LOG_LEVEL="loud")


def test_production_refuses_the_development_secret(monkeypatch):
    with pytest.raises(ValidationError, match="HOTLINE_SECRET_KEY"):
        _settings(monkeypatch, HOTLINE_ENVIRONMENT="production")
    settings = _settings(
        monkeypatch,
        HOTLINE_ENVIRONMENT="production",
        HOTLINE_SECRET_KEY="k" * 48,
        HOTLINE_MATCHING_KEY="m" * 48,
        HOTLINE_DATA_KEYS=f"k1:{crypto.new_key()}",
    )
    assert settings.secret_key.get_secret_value() == "k" * 48
    assert "k" * 48 not in repr(settings)
