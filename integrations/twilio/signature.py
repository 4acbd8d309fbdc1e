"""Every Twilio webhook must carry a valid X-Twilio-Signature; anything else is refused before it is read.

The signature covers the URL Twilio called and the form fields. Behind a proxy or tunnel the URL this
process sees differs from the one Twilio called, so the URL is rebuilt from PUBLIC_BASE_URL (scheme and
host from settings, never from the request or its X-Forwarded-* headers, which a caller controls) plus the
path and query of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Request, status
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from hotline.core import metrics
from hotline.core.actor import Actor
from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.deps import SessionDep, SettingsDep

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
# Who a refused request claimed to be: it is recorded as such in the audit log.
UNVERIFIED = Actor(kind="twilio", id="unverified", name="unverified")


@dataclass(frozen=True)
class TwilioWebhook:
    """A webhook whose signature checked out: the URL it was signed for and its form fields."""

    url: str
    form: FormData

    def get(self, name: str) -> str | None:
        value = self.form.get(name)
        if not isinstance(value, str):
            return None
        value = value.strip()
        return value or None

    def get_int(self, name: str) -> int | None:
        value = self.get(name)
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None


def public_url(settings: Settings, request: Request) -> str:
    """The URL Twilio called, as PUBLIC_BASE_URL + path (+ query)."""
    url = settings.public_base_url + request.url.path
    query = request.url.query
    return f"{url}?{query}" if query else url


def signature_problem(settings: Settings, *, url: str, form: FormData, signature: str | None) -> str | None:
    """Why the request cannot be accepted, or None when it is Twilio's, signed for this URL."""
    token = settings.twilio_auth_token.get_secret_value()
    if not token:
        return "auth_token_not_configured"
    if not signature:
        return "missing_signature"
    if not RequestValidator(token).validate(url, form, signature):
        return "invalid_signature"
    account = form.get("AccountSid")
    if settings.twilio_account_sid and account and account != settings.twilio_account_sid:
        return "other_account"
    return None


async def _form(request: Request) -> FormData:
    return await request.form()


def verified_webhook(
    request: Request, form: Annotated[FormData, Depends(_form)], session: SessionDep, settings: SettingsDep
) -> TwilioWebhook:
    url = public_url(settings, request)
    problem = signature_problem(settings, url=url, form=form, signature=request.headers.get(SIGNATURE_HEADER))
    if problem is None:
        return TwilioWebhook(url=url, form=form)
    # Nothing from the request is stored but where it went and why it was refused.
    log.warning("twilio_signature_refused", path=request.url.path, reason=problem)
    metrics.TWILIO_WEBHOOKS_REFUSED.labels(reason=problem).inc()
    audit_service.record(
        session,
        actor=UNVERIFIED,
        action="twilio.signature_refused",
        subject_type="twilio_webhook",
        subject_id=request.url.path,
        detail={"reason": problem, "path": request.url.path},
    )
    session.commit()
    raise HTTPException(status.HTTP_403_FORBIDDEN, "this request is not signed by Twilio for this service")


TwilioWebhookDep = Annotated[TwilioWebhook, Depends(verified_webhook)]
