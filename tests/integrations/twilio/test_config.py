"""Twilio settings are checked when the service starts, not when a caller presses 1."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotline.core.config import Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_advocate_dial_targets_are_numbers_sip_uris_or_clients():
    settings = _settings(twilio_advocate_dial=" +15125550101, sip:desk@pbx.example.org ,, client:desk-2 ")
    assert settings.advocate_dial_targets == ["+15125550101", "sip:desk@pbx.example.org", "client:desk-2"]
    assert _settings().advocate_dial_targets == []


@pytest.mark.parametrize("value", ["512-555-0101", "+0123", "desk-1", "sip:nohost"])
def test_an_advocate_dial_target_twilio_cannot_dial_is_refused(value):
    with pytest.raises(ValidationError, match="TWILIO_ADVOCATE_DIAL"):
        _settings(twilio_advocate_dial=value)


def test_twilio_settings_have_bounds(monkeypatch):
    monkeypatch.setenv("HOTLINE_TWILIO_SMS_SESSION_MINUTES", "45")
    assert _settings().twilio_sms_session_minutes == 45
    with pytest.raises(ValidationError):
        _settings(twilio_dial_timeout_seconds=1)
    with pytest.raises(ValidationError):
        _settings(twilio_menu_attempts=0)
