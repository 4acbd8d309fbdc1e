"""Sending texts: a small interface (`SmsGateway`), its one real implementation on Twilio's REST client,
and the HTTP client that implementation talks through.

Errors come back as `SmsSendError` with a code and whether retrying can help; never with Twilio's message,
which can quote the phone number.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from hotline.core.config import Settings

# Twilio error 21610: the recipient replied STOP (to this or another of our numbers).
UNSUBSCRIBED_RECIPIENT = 21610
# HTTP statuses worth retrying: Twilio or the network is having trouble, not our request.
_RETRYABLE_STATUSES = {408, 409, 425, 429}


class SmsSendError(Exception):
    def __init__(self, code: str, *, retryable: bool, twilio_code: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable
        self.twilio_code = twilio_code


class SmsGateway(Protocol):
    def send_sms(self, *, to: str, from_: str | None, body: str, status_callback: str | None) -> str:
        """Hand a text to the carrier; return its message id. Raises SmsSendError."""
        ...


class HttpxTwilioHttpClient(HttpClient):
    """The HTTP client under Twilio's REST client: httpx with a timeout on every request (Twilio's default
    client has none, so a hung connection would hold a worker forever), and no logging of requests.

    `base_url` sends every request to another scheme/host/port (a local fake in tests, an API proxy).
    """

    def __init__(self, *, timeout: float, base_url: str | None = None) -> None:
        super().__init__(logger=logging.getLogger(__name__), is_async=False, timeout=timeout)
        self._base = httpx.URL(base_url) if base_url else None
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        target = httpx.URL(url)
        if self._base is not None:
            target = target.copy_with(scheme=self._base.scheme, host=self._base.host, port=self._base.port)
        body: dict[str, Any] = {}
        if headers and headers.get("Content-Type", "").startswith("application/json"):
            body["json"] = data
        else:
            body["data"] = data
        response = self._client.request(
            method.upper(),
            target,
            params=params,  # type: ignore[arg-type]
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            follow_redirects=allow_redirects,
            **body,
        )
        return TwilioResponse(response.status_code, response.text, response.headers)

    def close(self) -> None:
        self._client.close()


class TwilioSmsGateway:
    """Texts through Twilio's Messages API, from the number that was texted or a Messaging Service."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        messaging_service_sid: str = "",
        http_client: HttpClient,
    ) -> None:
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._messaging_service_sid = messaging_service_sid

    def send_sms(self, *, to: str, from_: str | None, body: str, status_callback: str | None) -> str:
        sender: dict[str, str] = (
            {"messaging_service_sid": self._messaging_service_sid}
            if self._messaging_service_sid
            else {"from_": from_ or ""}
        )
        try:
            message = self._client.messages.create(
                to=to, body=body, status_callback=status_callback or None, **sender
            )
        except TwilioRestException as exc:
            retryable = exc.status >= 500 or exc.status in _RETRYABLE_STATUSES
            raise SmsSendError(
                f"twilio:{exc.code or exc.status}", retryable=retryable, twilio_code=exc.code
            ) from None
        except httpx.TimeoutException:
            raise SmsSendError("timeout", retryable=True) from None
        except httpx.TransportError:
            raise SmsSendError("network", retryable=True) from None
        except ValueError:
            # An answer that is not Twilio JSON (a proxy's error page).
            raise SmsSendError("bad_response", retryable=True) from None
        if not message.sid:
            raise SmsSendError("bad_response", retryable=True)
        return message.sid


def gateway_from_settings(settings: Settings) -> SmsGateway | None:
    """The gateway the settings describe, or None while Twilio credentials are not configured."""
    token = settings.twilio_auth_token.get_secret_value()
    if not settings.twilio_account_sid or not token:
        return None
    return TwilioSmsGateway(
        account_sid=settings.twilio_account_sid,
        auth_token=token,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        http_client=HttpxTwilioHttpClient(
            timeout=settings.twilio_http_timeout_seconds, base_url=settings.twilio_api_base_url or None
        ),
    )
