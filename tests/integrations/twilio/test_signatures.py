"""Only requests Twilio signed for our public URL get in; the rest are refused, stored nowhere, audited."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hotline.core.audit import service as audit_service
from hotline.core.audit.models import AuditEvent
from hotline.tips.models import Tip
from integrations.twilio.models import SmsMessage, TwilioCall
from tests.support.twilio import ACCOUNT_SID, HOTLINE_NUMBER, make_simulator, sid, twilio_settings, twiml

pytestmark = pytest.mark.committed

SMS = {"From": "+15125550142", "To": HOTLINE_NUMBER, "Body": "someone needs help at the truck stop"}


def _refusals(twilio) -> list[AuditEvent]:
    with twilio.session() as session:
        return list(
            session.exec(select(AuditEvent).where(AuditEvent.action == "twilio.signature_refused")).all()
        )


def _nothing_stored(twilio) -> bool:
    return twilio.count(Tip) == twilio.count(TwilioCall) == twilio.count(SmsMessage) == 0


def test_a_request_signed_by_twilio_for_the_public_url_is_accepted(twilio):
    root = twiml(twilio.post("/twilio/voice", {"CallSid": sid("CA"), "From": "+15125550142"}))
    assert root.find("Gather") is not None
    assert twilio.count(TwilioCall) == 1 and _refusals(twilio) == []


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing", "missing_signature"),
        ("other_token", "invalid_signature"),
        ("as_seen_by_the_app", "invalid_signature"),
        ("other_body", "invalid_signature"),
        ("other_query", "invalid_signature"),
    ],
)
def test_a_missing_or_wrong_signature_gets_403_stores_nothing_and_is_audited(twilio, case, reason):
    params = {"MessageSid": sid("SM"), "AccountSid": ACCOUNT_SID, **SMS}
    path = "/twilio/sms"
    public = twilio.url(path)
    signature = {
        "missing": "",
        "other_token": twilio.sign(public, params).swapcase(),
        # Signed for the URL the app itself sees (http://testserver): Twilio signs the public URL.
        "as_seen_by_the_app": twilio.sign("http://testserver/twilio/sms", params),
        "other_body": twilio.sign(public, {**params, "Body": "something else"}),
        "other_query": twilio.sign(public + "?attempt=1", params),
    }[case]
    if case == "missing":
        response = twilio.client.post(path, data=params)
    else:
        response = twilio.post(path, params, signature=signature)

    assert response.status_code == 403
    assert _nothing_stored(twilio)
    refusals = _refusals(twilio)
    assert [(event.subject_id, event.detail["reason"]) for event in refusals] == [(path, reason)]
    with twilio.session() as session:
        assert audit_service.verify_chain(session).ok


def test_forwarded_headers_do_not_change_the_url_that_is_checked(twilio):
    params = {"CallSid": sid("CA"), "AccountSid": ACCOUNT_SID}
    forged_url = "https://attacker.example.net/twilio/voice"
    headers = {
        "X-Twilio-Signature": twilio.sign(forged_url, params),
        "X-Forwarded-Host": "attacker.example.net",
        "X-Forwarded-Proto": "https",
        "Host": "attacker.example.net",
    }
    assert twilio.client.post("/twilio/voice", data=params, headers=headers).status_code == 403
    assert _nothing_stored(twilio)


def test_without_an_auth_token_every_webhook_is_refused(committed_db, fake_twilio):
    twilio = make_simulator(committed_db, twilio_settings(committed_db, fake_twilio, twilio_auth_token=""))
    response = twilio.post("/twilio/voice", {"CallSid": sid("CA")})
    assert response.status_code == 403
    assert [event.detail["reason"] for event in _refusals(twilio)] == ["auth_token_not_configured"]


def test_a_valid_signature_for_another_account_is_refused(twilio):
    response = twilio.post("/twilio/voice", {"CallSid": sid("CA"), "AccountSid": "AC" + "9" * 32})
    assert response.status_code == 403
    assert [event.detail["reason"] for event in _refusals(twilio)] == ["other_account"]
    assert _nothing_stored(twilio)
