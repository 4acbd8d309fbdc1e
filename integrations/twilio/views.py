"""Twilio's webhooks: translate a signed form post to a flow call, and answer with TwiML.

Authenticated by X-Twilio-Signature (see `signature.py`), not by API key. Every route is POST, as Twilio
is configured to call them; the README lists which URL goes where in the Twilio console.
"""

from __future__ import annotations

import uuid

import structlog
from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, Response, status
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from twilio.twiml import TwiML

from hotline.core.config import Settings
from hotline.deps import SessionDep, SettingsDep
from integrations.twilio import client as twilio_client
from integrations.twilio import flows as twilio_flows
from integrations.twilio import replies as twilio_replies
from integrations.twilio import twiml
from integrations.twilio.flows import CallRef, Media
from integrations.twilio.models import LANGUAGES
from integrations.twilio.signature import TwilioWebhook, TwilioWebhookDep

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/twilio", tags=["twilio"])

TWIML = {200: {"content": {"text/xml": {}}, "description": "TwiML for Twilio"}}
# Twilio sends at most 10 media items with a message.
MAX_MEDIA = 10


def _twiml(document: TwiML) -> Response:
    return Response(content=str(document), media_type="text/xml")


def _required(webhook: TwilioWebhook, name: str) -> str:
    value = webhook.get(name)
    if value is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"field": name, "msg": "Twilio sends this field; missing"}],
        )
    return value


def _call_ref(webhook: TwilioWebhook) -> CallRef:
    return CallRef(
        call_sid=_required(webhook, "CallSid"), caller=webhook.get("From"), hotline_number=webhook.get("To")
    )


# The step's state is in our own action URLs; an odd value (never from Twilio) falls back to a safe default.
def _language(request: Request) -> str:
    language = request.query_params.get("lang", "en")
    return language if language in LANGUAGES else "en"


def _attempt(request: Request, settings: Settings) -> int:
    try:
        attempt = int(request.query_params.get("attempt", "1"))
    except ValueError:
        return 1
    return min(max(attempt, 1), settings.twilio_menu_attempts)


def _urls(settings: Settings) -> twiml.VoiceUrls:
    return twiml.VoiceUrls(settings.public_base_url)


@router.post(
    "/voice", response_class=Response, responses=TWIML, summary="Incoming call (the number's voice URL)"
)
def incoming_call(webhook: TwilioWebhookDep, session: SessionDep, settings: SettingsDep) -> Response:
    twilio_flows.call_started(session=session, ref=_call_ref(webhook))
    return _twiml(twiml.language_menu(settings, _urls(settings), attempt=1))


@router.post("/voice/language", response_class=Response, responses=TWIML, summary="Language chosen")
def language_chosen(
    request: Request, webhook: TwilioWebhookDep, session: SessionDep, settings: SettingsDep
) -> Response:
    urls, attempt = _urls(settings), _attempt(request, settings)
    language = {"1": "en", "2": "es"}.get(webhook.get("Digits") or "")
    if language is not None:
        twilio_flows.language_chosen(session=session, ref=_call_ref(webhook), language=language)
        return _twiml(twiml.main_menu(settings, urls, language=language, attempt=1))
    if attempt < settings.twilio_menu_attempts:
        return _twiml(twiml.language_menu(settings, urls, attempt=attempt + 1))
    # No choice after every attempt: take a message, asking in both languages.
    return _twiml(twiml.voicemail(settings, urls, language="en", spoken_in=("en", "es")))


@router.post("/voice/menu", response_class=Response, responses=TWIML, summary="Main menu choice")
def menu_chosen(request: Request, webhook: TwilioWebhookDep, settings: SettingsDep) -> Response:
    urls, attempt, language = _urls(settings), _attempt(request, settings), _language(request)
    digits = webhook.get("Digits")
    if digits == "1":
        if settings.advocate_dial_targets:
            return _twiml(twiml.dial_advocate(settings, urls, language=language))
        return _twiml(
            twiml.voicemail(settings, urls, language=language, spoken_in=(language,), no_advocate=True)
        )
    if digits == "2":
        return _twiml(twiml.voicemail(settings, urls, language=language, spoken_in=(language,)))
    if attempt < settings.twilio_menu_attempts:
        return _twiml(twiml.main_menu(settings, urls, language=language, attempt=attempt + 1))
    return _twiml(twiml.voicemail(settings, urls, language=language, spoken_in=(language,)))


@router.post("/voice/dial-status", response_class=Response, responses=TWIML, summary="Advocate dial ended")
def advocate_dial_finished(
    request: Request, webhook: TwilioWebhookDep, session: SessionDep, settings: SettingsDep
) -> Response:
    language, dial_status = _language(request), webhook.get("DialCallStatus")
    twilio_flows.advocate_dial_finished(session=session, ref=_call_ref(webhook), dial_status=dial_status)
    if dial_status == "completed":
        return _twiml(twiml.hang_up())
    # Busy, no answer, failed: nobody took the call, so the caller can leave a message.
    return _twiml(
        twiml.voicemail(settings, _urls(settings), language=language, spoken_in=(language,), no_advocate=True)
    )


def _store_recording(request: Request, webhook: TwilioWebhook, session: Session, settings: Settings) -> bool:
    """The Record action and the recording status callback report the same recording; either stores it."""
    tip = twilio_flows.voicemail_recorded(
        session=session,
        settings=settings,
        ref=_call_ref(webhook),
        language=_language(request),
        recording_sid=webhook.get("RecordingSid"),
        recording_url=webhook.get("RecordingUrl"),
        duration_seconds=webhook.get_int("RecordingDuration"),
    )
    return tip is not None


@router.post("/voice/recorded", response_class=Response, responses=TWIML, summary="Voicemail recorded")
def voicemail_recorded(
    request: Request, webhook: TwilioWebhookDep, session: SessionDep, settings: SettingsDep
) -> Response:
    recorded = _store_recording(request, webhook, session, settings)
    return _twiml(twiml.goodbye(language=_language(request), recorded=recorded))


@router.post("/voice/recording", status_code=status.HTTP_204_NO_CONTENT, summary="Recording status callback")
def recording_status(
    request: Request, webhook: TwilioWebhookDep, session: SessionDep, settings: SettingsDep
) -> Response:
    # "absent" (nothing recorded) and "failed" leave nothing to keep.
    if webhook.get("RecordingStatus") in {None, "completed"}:
        _store_recording(request, webhook, session, settings)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/voice/transcription", status_code=status.HTTP_204_NO_CONTENT, summary="Transcription callback")
def transcription(
    request: Request, webhook: TwilioWebhookDep, session: SessionDep, settings: SettingsDep
) -> Response:
    twilio_flows.transcription_received(
        session=session,
        settings=settings,
        ref=_call_ref(webhook),
        language=_language(request),
        recording_sid=webhook.get("RecordingSid"),
        recording_url=webhook.get("RecordingUrl"),
        transcription_sid=webhook.get("TranscriptionSid"),
        transcription_status=webhook.get("TranscriptionStatus"),
        text=webhook.get("TranscriptionText"),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/voice/status", status_code=status.HTTP_204_NO_CONTENT, summary="Call status callback")
def call_status(webhook: TwilioWebhookDep, session: SessionDep) -> Response:
    twilio_flows.call_ended(session=session, ref=_call_ref(webhook), call_status=webhook.get("CallStatus"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def get_sms_gateway(request: Request, settings: SettingsDep) -> twilio_client.SmsGateway | None:
    """One gateway per app, made from the settings on first use (None until Twilio is configured)."""
    state = request.app.state
    if not hasattr(state, "twilio_sms_gateway"):
        state.twilio_sms_gateway = twilio_client.gateway_from_settings(settings)
    return state.twilio_sms_gateway


def _send_after_response(
    session_factory: sessionmaker[Session],
    gateway: twilio_client.SmsGateway | None,
    settings: Settings,
    reply_ids: list[uuid.UUID],
) -> None:
    # The fast path; the worker retries whatever this does not send.
    try:
        twilio_replies.send_due_replies(
            session_factory=session_factory, gateway=gateway, settings=settings, only=reply_ids
        )
    except Exception as exc:
        log.error("sms_reply_send_deferred", error_type=type(exc).__name__, replies=len(reply_ids))


def _media(webhook: TwilioWebhook) -> list[Media]:
    count = min(webhook.get_int("NumMedia") or 0, MAX_MEDIA)
    media = []
    for index in range(count):
        url = webhook.get(f"MediaUrl{index}")
        if url:
            media.append(Media(url=url, content_type=webhook.get(f"MediaContentType{index}")))
    return media


@router.post(
    "/sms", response_class=Response, responses=TWIML, summary="Incoming text (the number's messaging URL)"
)
def incoming_sms(
    request: Request,
    webhook: TwilioWebhookDep,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> Response:
    receipt = twilio_flows.receive_sms(
        session=session,
        settings=settings,
        message_sid=_required(webhook, "MessageSid"),
        sender=webhook.get("From"),
        hotline_number=webhook.get("To"),
        body=webhook.get("Body"),
        media=_media(webhook),
        opt_out_type=webhook.get("OptOutType"),
    )
    if receipt.replies:
        background.add_task(
            _send_after_response,
            request.app.state.session_factory,
            get_sms_gateway(request, settings),
            settings,
            receipt.replies,
        )
    return _twiml(twiml.no_sms_reply())


@router.post("/sms/status", status_code=status.HTTP_204_NO_CONTENT, summary="Reply delivery status callback")
def sms_status(webhook: TwilioWebhookDep, session: SessionDep) -> Response:
    twilio_replies.reply_status_changed(
        session=session,
        message_sid=_required(webhook, "MessageSid"),
        message_status=webhook.get("MessageStatus"),
        error_code=webhook.get("ErrorCode"),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
