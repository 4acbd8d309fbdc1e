"""`hotline worker --once`, run as an operator runs it: it sends the replies an outage left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlmodel import select

from integrations.twilio import flows as twilio_flows
from integrations.twilio.models import SmsMessage
from integrations.twilio.prompts import texted
from tests.support.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    PUBLIC_BASE_URL,
    sid,
    twilio_settings,
)

pytestmark = pytest.mark.committed


def test_the_worker_command_sends_pending_replies_through_twilio(committed_db, fake_twilio):
    settings = twilio_settings(committed_db, fake_twilio)
    with committed_db.session_factory() as session:
        receipt = twilio_flows.receive_sms(
            session=session,
            settings=settings,
            message_sid=sid("SM"),
            sender="+15125550123",
            hotline_number=HOTLINE_NUMBER,
            body="A woman at the spa on 5th street cannot leave, they took her papers",
        )
    assert len(receipt.replies) == 1 and fake_twilio.sent == []

    env = {
        **os.environ,
        "DATABASE_URL": committed_db.url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_TWILIO_API_BASE_URL": fake_twilio.url,
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-m", "hotline", "worker", "--once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "triage-recovery": 0,
        "twilio-sms-replies": 1,
        "twilio-voicemail-transcripts": 0,
        "webhook-deliveries": 0,
        "webhook-sla-escalation": 0,
        "webhook-endpoint-health": 0,
    }
    assert [message.body for message in fake_twilio.sent] == [texted("en", "ack")]
    with committed_db.session_factory() as session:
        assert (
            session.exec(select(SmsMessage.status).where(SmsMessage.direction == "outbound")).one() == "sent"
        )
