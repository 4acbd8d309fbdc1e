"""The phone line, call by call: the TwiML at each step, the tip each call leaves, and Twilio's retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from hotline.cases.models import CaseTip
from hotline.core.audit.models import AuditEvent
from hotline.intake import flows as intake_flows
from hotline.tips.models import Tip, TipAttachment
from integrations.twilio import flows as twilio_flows
from integrations.twilio.models import TwilioCall
from integrations.twilio.prompts import spoken
from tests.support.twilio import (
    ADVOCATE_NUMBER,
    HOTLINE_NUMBER,
    advocate_key,
    make_simulator,
    says,
    sid,
    twilio_settings,
    twiml,
)

pytestmark = pytest.mark.committed

CALLER = "+15125550142"
SPANISH_TRANSCRIPT = (
    "Llamo por mi vecina, tiene quince años. Un hombre la lleva cada noche a un motel en la calle Airline."
)


def _call_params(call_sid: str, **extra: str) -> dict[str, str]:
    return {"CallSid": call_sid, "From": CALLER, "To": HOTLINE_NUMBER, "Direction": "inbound", **extra}


def _gather(root):
    gathers = list(root.iter("Gather"))
    assert len(gathers) == 1
    return gathers[0]


def _tip_of(twilio, call_sid: str) -> Tip:
    with twilio.session() as session:
        tip = session.exec(select(Tip).where(Tip.channel == "phone", Tip.external_id == call_sid)).one()
        tip.attachments  # noqa: B018  (load before the session closes)
        return tip


def _counts(twilio) -> dict[str, int]:
    return {
        "tips": twilio.count(Tip),
        "attachments": twilio.count(TipAttachment),
        "calls": twilio.count(TwilioCall),
        "case_links": twilio.count(CaseTip),
        "transcripts": twilio.count(AuditEvent, AuditEvent.action == "tip.transcript_received"),
    }


def test_a_whole_call_menu_spanish_voicemail_transcription_leaves_one_triaged_tip_whatever_twilio_retries(
    twilio,
):
    call_sid = sid("CA")
    requests: list[tuple[str, dict[str, str]]] = []

    def step(url: str, params: dict[str, str]):
        requests.append((url, params))
        return twilio.post(url, params)

    # 1. The call comes in: greeting and the emergency line in both languages, then the language choice.
    root = twiml(step("/twilio/voice", _call_params(call_sid)))
    gather = _gather(root)
    assert gather.get("numDigits") == "1" and gather.get("actionOnEmptyResult") == "true"
    spoken_lines = says(gather)
    assert ("en-US", spoken("en", "danger")) in spoken_lines
    assert ("es-MX", spoken("es", "danger")) in spoken_lines
    assert ("en-US", spoken("en", "choose_language")) in spoken_lines
    assert ("es-MX", spoken("es", "choose_language")) in spoken_lines
    assert all("911" in text.replace(" ", "") for lang, text in spoken_lines if text.startswith(("If", "Si")))
    for say in gather.iter("Say"):
        assert say.get("voice") in {"Polly.Joanna", "Polly.Mia"}

    # 2. The caller presses 2: the main menu, in Spanish only.
    root = twiml(step(gather.get("action"), _call_params(call_sid, Digits="2")))
    gather = _gather(root)
    assert says(gather) == [("es-MX", spoken("es", "menu"))]
    assert "lang=es" in gather.get("action")

    # 3. The caller presses 2 again: voicemail, transcribed, bounded in length.
    root = twiml(step(gather.get("action"), _call_params(call_sid, Digits="2")))
    assert ("es-MX", spoken("es", "voicemail")) in says(root)
    record = root.find("Record")
    assert record is not None
    assert record.get("transcribe") == "true"
    assert record.get("maxLength") == str(twilio.settings.twilio_voicemail_max_seconds)
    assert record.get("transcribeCallback", "").startswith(
        "https://hotline.example.org/twilio/voice/transcription"
    )
    assert record.get("recordingStatusCallback", "").startswith(
        "https://hotline.example.org/twilio/voice/recording"
    )

    # 4. The recording ends: the tip is stored at once, waiting for its transcript.
    recording_sid = sid("RE")
    recording_url = f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/{recording_sid}"
    recording = _call_params(
        call_sid, RecordingSid=recording_sid, RecordingUrl=recording_url, RecordingDuration="42"
    )
    root = twiml(step(record.get("action"), recording))
    assert says(root) == [("es-MX", spoken("es", "thanks"))]
    assert root.find("Hangup") is not None
    tip = _tip_of(twilio, call_sid)
    assert (tip.status, tip.language, tip.channel, tip.contact_outcome) == (
        "transcribing",
        "es",
        "phone",
        "voicemail",
    )
    assert tip.reporter_phone == CALLER
    assert [(a.kind, a.url, a.duration_seconds) for a in tip.attachments] == [
        ("recording", recording_url, 42)
    ]

    # 5. Twilio's recording status callback (same recording) and the transcription.
    assert (
        step(record.get("recordingStatusCallback"), {**recording, "RecordingStatus": "completed"}).status_code
        == 204
    )
    transcription = {
        **recording,
        "TranscriptionSid": sid("TR"),
        "TranscriptionStatus": "completed",
        "TranscriptionText": SPANISH_TRANSCRIPT,
    }
    assert step(record.get("transcribeCallback"), transcription).status_code == 204
    tip = _tip_of(twilio, call_sid)
    assert tip.status == "triaged" and tip.narrative == SPANISH_TRANSCRIPT
    assert tip.triage["case"]["action"] == "new"

    # 6. The call ends: it already left its tip, so no missed-contact record is added.
    assert step("/twilio/voice/status", _call_params(call_sid, CallStatus="completed")).status_code == 204
    before = _counts(twilio)
    assert before == {"tips": 1, "attachments": 1, "calls": 1, "case_links": 1, "transcripts": 1}

    # 7. Twilio retries every callback: nothing new is stored.
    for url, params in requests:
        assert twilio.post(url, params).status_code in {200, 204}
    assert _counts(twilio) == before
    assert _tip_of(twilio, call_sid).narrative == SPANISH_TRANSCRIPT

    # The tip, as the API shows it to advocates.
    body = twilio.client.get(f"/api/v1/tips/{tip.id}", headers=advocate_key(twilio.db)).json()
    assert body["channel"] == "phone" and body["contact_outcome"] == "voicemail"
    assert body["attachments"][0]["kind"] == "recording" and body["attachments"][0]["url"] == recording_url
    assert body["case_id"] is not None and body["status"] == "triaged"


def test_no_or_wrong_keys_repeat_each_menu_a_bounded_number_of_times_then_take_a_message(twilio):
    call_sid = sid("CA")
    attempts = twilio.settings.twilio_menu_attempts
    root = twiml(twilio.post("/twilio/voice", _call_params(call_sid)))
    for attempt in range(1, attempts):
        root = twiml(twilio.post(_gather(root).get("action"), _call_params(call_sid)))  # no key at all
        gather = _gather(root)
        assert f"attempt={attempt + 1}" in gather.get("action")
        assert ("en-US", spoken("en", "not_understood")) in says(gather)
    # Still nothing: a message is taken, asked for in both languages.
    root = twiml(twilio.post(_gather(root).get("action"), _call_params(call_sid, Digits="7")))
    assert root.find("Record") is not None
    assert {("en-US", spoken("en", "voicemail")), ("es-MX", spoken("es", "voicemail"))} <= set(says(root))

    # The main menu behaves the same way.
    root = twiml(twilio.post("/twilio/voice/language?attempt=1", _call_params(call_sid, Digits="1")))
    for _ in range(attempts):
        assert root.find("Record") is None
        root = twiml(twilio.post(_gather(root).get("action"), _call_params(call_sid, Digits="9")))
    assert root.find("Record") is not None
    assert says(root) == [("en-US", spoken("en", "voicemail")), ("en-US", spoken("en", "nothing_recorded"))]


def test_option_one_dials_the_advocates_and_an_unanswered_dial_falls_back_to_voicemail(twilio):
    call_sid = sid("CA")
    twilio.post("/twilio/voice", _call_params(call_sid))
    root = twiml(twilio.post("/twilio/voice/menu?lang=en&attempt=1", _call_params(call_sid, Digits="1")))
    dial = root.find("Dial")
    assert dial is not None
    assert dial.get("timeout") == str(twilio.settings.twilio_dial_timeout_seconds)
    assert [number.text for number in dial.iter("Number")] == [ADVOCATE_NUMBER]

    root = twiml(twilio.post(dial.get("action"), _call_params(call_sid, DialCallStatus="no-answer")))
    assert root.find("Record") is not None
    assert says(root)[0] == ("en-US", spoken("en", "no_advocate"))


def test_a_call_an_advocate_took_is_kept_as_an_answered_contact(twilio):
    call_sid = sid("CA")
    twilio.post("/twilio/voice", _call_params(call_sid))
    root = twiml(
        twilio.post("/twilio/voice/dial-status?lang=en", _call_params(call_sid, DialCallStatus="completed"))
    )
    assert [child.tag for child in root] == ["Hangup"]
    twilio.post("/twilio/voice/status", _call_params(call_sid, CallStatus="completed"))
    tip = _tip_of(twilio, call_sid)
    assert (tip.status, tip.contact_outcome, tip.reporter_phone) == ("contact", "answered", CALLER)


def test_without_an_advocate_number_option_one_takes_a_message(committed_db, fake_twilio):
    settings = twilio_settings(committed_db, fake_twilio, twilio_advocate_dial="")
    twilio = make_simulator(committed_db, settings)
    root = twiml(twilio.post("/twilio/voice/menu?lang=es&attempt=1", _call_params(sid("CA"), Digits="1")))
    assert root.find("Dial") is None and root.find("Record") is not None
    assert says(root)[:2] == [("es-MX", spoken("es", "no_advocate")), ("es-MX", spoken("es", "voicemail"))]


def test_a_hang_up_leaves_a_contact_that_triage_and_recovery_leave_alone(twilio):
    call_sid = sid("CA")
    twilio.post("/twilio/voice", _call_params(call_sid))
    twilio.post("/twilio/voice/language?attempt=1", _call_params(call_sid, Digits="2"))
    for _ in range(2):  # and Twilio's retry
        assert (
            twilio.post("/twilio/voice/status", _call_params(call_sid, CallStatus="completed")).status_code
            == 204
        )

    assert twilio.count(Tip) == 1
    tip = _tip_of(twilio, call_sid)
    assert (tip.status, tip.contact_outcome, tip.language, tip.narrative) == (
        "contact",
        "hang_up",
        "es",
        None,
    )
    assert (
        intake_flows.triage_pending(
            session_factory=twilio.db.session_factory, settings=twilio.db.settings, older_than=timedelta(0)
        )
        == 0
    )
    assert _tip_of(twilio, call_sid).status == "contact"
    assert twilio.count(CaseTip) == 0


def test_a_recording_reported_after_the_call_ended_turns_the_hang_up_into_a_voicemail(twilio):
    call_sid = sid("CA")
    twilio.post("/twilio/voice", _call_params(call_sid))
    twilio.post("/twilio/voice/status", _call_params(call_sid, CallStatus="completed"))
    contact = _tip_of(twilio, call_sid)
    assert contact.contact_outcome == "hang_up"

    recording = _call_params(
        call_sid,
        RecordingSid=sid("RE"),
        RecordingUrl="https://api.twilio.com/rec/1",
        RecordingDuration="12",
        RecordingStatus="completed",
    )
    assert twilio.post("/twilio/voice/recording?lang=en", recording).status_code == 204
    tip = _tip_of(twilio, call_sid)
    assert tip.id == contact.id
    assert (tip.status, tip.contact_outcome, len(tip.attachments)) == ("transcribing", "voicemail", 1)


def test_a_voicemail_without_transcript_is_triaged_from_its_recording_and_reassessed_if_one_comes_late(
    twilio,
):
    call_sid = sid("CA")
    recording = _call_params(
        call_sid, RecordingSid=sid("RE"), RecordingUrl="https://api.twilio.com/rec/2", RecordingDuration="30"
    )
    twilio.post("/twilio/voice/recorded?lang=en", recording)
    assert _tip_of(twilio, call_sid).status == "transcribing"

    # Not yet due: the sweep waits for the transcript.
    factory = twilio.db.session_factory
    assert (
        twilio_flows.triage_stale_voicemails(
            session_factory=factory, settings=twilio.db.settings, wait=timedelta(minutes=10)
        )
        == 0
    )
    assert (
        twilio_flows.triage_stale_voicemails(
            session_factory=factory, settings=twilio.db.settings, wait=timedelta(0)
        )
        == 1
    )
    tip = _tip_of(twilio, call_sid)
    assert tip.status == "triaged" and tip.narrative is None and tip.triage is not None

    late = {
        **recording,
        "TranscriptionSid": sid("TR"),
        "TranscriptionStatus": "completed",
        "TranscriptionText": "A girl, fourteen, is kept in the back room of the nail salon.",
    }
    twilio.post("/twilio/voice/transcription?lang=en", late)
    tip = _tip_of(twilio, call_sid)
    assert tip.narrative.startswith("A girl, fourteen")
    assert (
        twilio.count(AuditEvent, AuditEvent.action == "tip.retriaged", AuditEvent.subject_id == str(tip.id))
        == 1
    )
    assert twilio.count(CaseTip) == 1


def test_a_failed_transcription_triages_the_voicemail_from_its_recording(twilio):
    call_sid = sid("CA")
    params = _call_params(
        call_sid,
        RecordingSid=sid("RE"),
        RecordingUrl="https://api.twilio.com/rec/3",
        TranscriptionSid=sid("TR"),
        TranscriptionStatus="failed",
    )
    # The transcription callback is the first Twilio delivers: it still creates the voicemail.
    assert twilio.post("/twilio/voice/transcription?lang=es", params).status_code == 204
    tip = _tip_of(twilio, call_sid)
    assert (tip.status, tip.narrative, tip.language, len(tip.attachments)) == ("triaged", None, "es", 1)


def test_a_voicemail_twilio_will_not_transcribe_is_triaged_at_once(committed_db, fake_twilio):
    settings = twilio_settings(committed_db, fake_twilio, twilio_voicemail_max_seconds=600)
    twilio = make_simulator(committed_db, settings)
    call_sid = sid("CA")
    params = _call_params(
        call_sid, RecordingSid=sid("RE"), RecordingUrl="https://api.twilio.com/rec/4", RecordingDuration="300"
    )
    twilio.post("/twilio/voice/recorded?lang=en", params)
    assert _tip_of(twilio, call_sid).status == "triaged"


def test_an_empty_recording_is_no_voicemail(twilio):
    call_sid = sid("CA")
    params = _call_params(call_sid, RecordingSid=sid("RE"), RecordingUrl="https://x/r", RecordingDuration="0")
    root = twiml(twilio.post("/twilio/voice/recorded?lang=en", params))
    assert says(root) == [("en-US", spoken("en", "nothing_recorded"))]
    assert twilio.count(Tip) == 0
