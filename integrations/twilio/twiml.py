"""The TwiML the phone line answers with, built with Twilio's own helpers.

Every action URL is absolute and built from PUBLIC_BASE_URL: Twilio signs the URL it calls, so the URLs
we hand it are exactly the ones we later check signatures against. The step's state (language, attempt)
travels in the query string, which the signature covers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.core.config import Settings
from integrations.twilio.prompts import VOICES, spoken

VOICE_PREFIX = "/twilio/voice"
SMS_PREFIX = "/twilio/sms"


class VoiceUrls:
    def __init__(self, public_base_url: str) -> None:
        self.base = public_base_url.rstrip("/") + VOICE_PREFIX

    def _url(self, step: str, **query: object) -> str:
        return f"{self.base}/{step}?{urlencode(query)}" if query else f"{self.base}/{step}"

    def language(self, attempt: int) -> str:
        return self._url("language", attempt=attempt)

    def menu(self, language: str, attempt: int) -> str:
        return self._url("menu", lang=language, attempt=attempt)

    def dial_status(self, language: str) -> str:
        return self._url("dial-status", lang=language)

    def recorded(self, language: str) -> str:
        return self._url("recorded", lang=language)

    def recording_status(self, language: str) -> str:
        return self._url("recording", lang=language)

    def transcription(self, language: str) -> str:
        return self._url("transcription", lang=language)


def sms_status_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + SMS_PREFIX + "/status"


def _say(parent: VoiceResponse | Gather, language: str, key: str) -> None:
    voice = VOICES[language]
    parent.say(spoken(language, key), language=voice.language, voice=voice.voice)


def _gather(response: VoiceResponse, settings: Settings, action: str) -> Gather:
    # actionOnEmptyResult: no key pressed still comes back to us, so we count the attempt.
    return response.gather(
        input="dtmf",
        num_digits=1,
        action=action,
        method="POST",
        timeout=settings.twilio_menu_timeout_seconds,
        action_on_empty_result=True,
    )


def language_menu(settings: Settings, urls: VoiceUrls, *, attempt: int) -> VoiceResponse:
    """The greeting and the emergency line in both languages, then the choice of language."""
    response = VoiceResponse()
    gather = _gather(response, settings, urls.language(attempt))
    for language in ("en", "es"):
        if attempt == 1:
            _say(gather, language, "welcome")
            _say(gather, language, "danger")
        else:
            _say(gather, language, "not_understood")
    _say(gather, "en", "choose_language")
    _say(gather, "es", "choose_language")
    return response


def main_menu(settings: Settings, urls: VoiceUrls, *, language: str, attempt: int) -> VoiceResponse:
    """1: an advocate now, 2: voicemail."""
    response = VoiceResponse()
    gather = _gather(response, settings, urls.menu(language, attempt))
    if attempt > 1:
        _say(gather, language, "not_understood")
    _say(gather, language, "menu")
    return response


def dial_advocate(settings: Settings, urls: VoiceUrls, *, language: str) -> VoiceResponse:
    """Ring every advocate target at once; an unanswered dial comes back to dial-status (→ voicemail)."""
    response = VoiceResponse()
    _say(response, language, "connecting")
    dial = response.dial(
        action=urls.dial_status(language),
        method="POST",
        timeout=settings.twilio_dial_timeout_seconds,
        # The caller hears ringing, and the call is billed, only once an advocate picks up.
        answer_on_bridge=True,
    )
    for target in settings.advocate_dial_targets:
        if target.startswith("sip:"):
            dial.sip(target)
        elif target.startswith("client:"):
            dial.client(target.removeprefix("client:"))
        else:
            dial.number(target)
    return response


def voicemail(
    settings: Settings,
    urls: VoiceUrls,
    *,
    language: str,
    spoken_in: tuple[str, ...],
    no_advocate: bool = False,
) -> VoiceResponse:
    """Record a message (transcribed by Twilio); `spoken_in` both languages when the caller chose none."""
    response = VoiceResponse()
    for prompt_language in spoken_in:
        if no_advocate:
            _say(response, prompt_language, "no_advocate")
        _say(response, prompt_language, "voicemail")
    response.record(
        action=urls.recorded(language),
        method="POST",
        max_length=settings.twilio_voicemail_max_seconds,
        timeout=10,
        finish_on_key="#",
        play_beep=True,
        transcribe=True,
        transcribe_callback=urls.transcription(language),
        recording_status_callback=urls.recording_status(language),
        recording_status_callback_method="POST",
    )
    # Reached only when nothing was recorded (Twilio then skips the action URL).
    for prompt_language in spoken_in:
        _say(response, prompt_language, "nothing_recorded")
    response.hangup()
    return response


def goodbye(*, language: str, recorded: bool) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, language, "thanks" if recorded else "nothing_recorded")
    response.hangup()
    return response


def hang_up() -> VoiceResponse:
    response = VoiceResponse()
    response.hangup()
    return response


def no_sms_reply() -> MessagingResponse:
    """Replies go out through the REST API after the tip is stored, never inline."""
    return MessagingResponse()
