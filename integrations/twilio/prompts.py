"""What the hotline says and texts, in English and Spanish.

Written for people in crisis: short, calm, no blame, anonymity offered, and the emergency line early.
"9 1 1" is spaced so that text-to-speech reads it as digits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Voice:
    language: str  # the <Say language> locale
    voice: str  # an Amazon Polly voice Twilio offers for that locale (the basic voices lack es-MX)


VOICES = {"en": Voice("en-US", "Polly.Joanna"), "es": Voice("es-MX", "Polly.Mia")}

SPOKEN = {
    "en": {
        "welcome": "Thank you for calling. You are not alone, and you do not have to give your name.",
        "danger": "If you or anyone else is in immediate danger, hang up now and call 9 1 1.",
        "choose_language": "For English, press 1.",
        "menu": "To speak with an advocate now, press 1. To leave a message, press 2.",
        "not_understood": "Sorry, I did not get that.",
        "connecting": "Connecting you with an advocate. Please stay on the line.",
        "no_advocate": "No advocate can take your call right now.",
        "voicemail": (
            "Please leave a message after the tone. Tell us what is happening, where, and how old the "
            "person at risk is. You do not have to give your name. Press the pound key or hang up when "
            "you are done."
        ),
        "thanks": (
            "Thank you. Your message was received and an advocate will review it. If anyone is in "
            "immediate danger, call 9 1 1. Goodbye."
        ),
        "nothing_recorded": "We did not hear a message. You can call again at any time. Goodbye.",
    },
    "es": {
        "welcome": "Gracias por llamar. No está solo ni sola, y no tiene que darnos su nombre.",
        "danger": "Si usted u otra persona está en peligro inmediato, cuelgue ahora y llame al 9 1 1.",
        "choose_language": "Para español, oprima 2.",
        "menu": ("Para hablar ahora con una persona de apoyo, oprima 1. Para dejar un mensaje, oprima 2."),
        "not_understood": "Disculpe, no recibimos su respuesta.",
        "connecting": "Le estamos comunicando con una persona de apoyo. Por favor, no cuelgue.",
        "no_advocate": "En este momento nadie puede atender su llamada.",
        "voicemail": (
            "Por favor, deje un mensaje después del tono. Díganos qué está pasando, dónde, y qué edad "
            "tiene la persona en riesgo. No tiene que darnos su nombre. Oprima la tecla de numeral o "
            "cuelgue cuando termine."
        ),
        "thanks": (
            "Gracias. Recibimos su mensaje y una persona de apoyo lo revisará. Si alguien está en "
            "peligro inmediato, llame al 9 1 1. Adiós."
        ),
        "nothing_recorded": "No escuchamos ningún mensaje. Puede volver a llamar cuando quiera. Adiós.",
    },
}

TEXTED = {
    "en": {
        "ack": (
            "Thank you for reaching out. You are not alone. So we can get help to the right place: "
            "where is this happening (city and state), and how old is the person at risk? If anyone is "
            "in immediate danger, call 911. Reply STOP to stop texts."
        ),
        "help_reply": (
            "This is a confidential hotline for child abuse and human trafficking. Text us what is "
            "happening, where, and how old the person at risk is. If anyone is in immediate danger, "
            "call 911. Reply STOP to stop texts."
        ),
    },
    "es": {
        "ack": (
            "Gracias por escribirnos. No está solo ni sola. Para enviar ayuda al lugar correcto: ¿dónde "
            "está pasando esto (ciudad y estado) y qué edad tiene la persona en riesgo? Si alguien está "
            "en peligro inmediato, llame al 911. Responda STOP para no recibir más mensajes."
        ),
        "help_reply": (
            "Esta es una línea confidencial sobre abuso infantil y trata de personas. Escríbanos qué "
            "está pasando, dónde, y qué edad tiene la persona en riesgo. Si alguien está en peligro "
            "inmediato, llame al 911. Responda STOP para no recibir más mensajes."
        ),
    },
}


def spoken(language: str, key: str) -> str:
    return SPOKEN[language][key]


def texted(language: str, key: str) -> str:
    return TEXTED[language if language in TEXTED else "en"][key]
