"""Twilio delivers callbacks in parallel: two at once still make one tip (PostgreSQL, real connections)."""

from __future__ import annotations

import threading

import pytest

from hotline.tips.models import Tip, TipAttachment
from integrations.twilio import flows as twilio_flows
from integrations.twilio.flows import CallRef
from integrations.twilio.models import SmsSession
from tests.support.twilio import HOTLINE_NUMBER, sid, twilio_settings

pytestmark = [pytest.mark.committed, pytest.mark.postgres_only]


def _together(*calls) -> None:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []


def _count(db, model) -> int:
    from sqlmodel import func, select

    with db.session_factory() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_two_texts_from_one_sender_at_once_join_one_session(committed_db, fake_twilio):
    settings = twilio_settings(committed_db, fake_twilio)

    def text(body: str):
        def send():
            with committed_db.session_factory() as session:
                twilio_flows.receive_sms(
                    session=session,
                    settings=settings,
                    message_sid=sid("SM"),
                    sender="+15125550188",
                    hotline_number=HOTLINE_NUMBER,
                    body=body,
                )

        return send

    _together(text("there is a girl at the motel"), text("she looks about 13"))
    assert (_count(committed_db, SmsSession), _count(committed_db, Tip)) == (1, 1)


def test_the_record_action_and_the_recording_callback_at_once_make_one_voicemail(committed_db):
    ref = CallRef(call_sid=sid("CA"), caller="+15125550142", hotline_number=HOTLINE_NUMBER)
    recording_sid = sid("RE")

    def recorded():
        with committed_db.session_factory() as session:
            twilio_flows.voicemail_recorded(
                session=session,
                settings=committed_db.settings,
                ref=ref,
                language="en",
                recording_sid=recording_sid,
                recording_url="https://api.twilio.com/rec/9",
                duration_seconds=20,
            )

    _together(recorded, recorded)
    assert (_count(committed_db, Tip), _count(committed_db, TipAttachment)) == (1, 1)
