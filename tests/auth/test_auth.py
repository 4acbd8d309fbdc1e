"""API keys and roles: 401 without a valid key, 403 for the wrong role, on every route."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from hotline.auth import service as auth_service
from hotline.auth.models import ApiKey
from hotline.core.actor import Role, system_actor
from tests.support.access import ACCESS_MATRIX, ALL_ROLES, PUBLIC, TWILIO_SIGNED
from tests.support.database import make_settings

TWILIO_AUTH_TOKEN = "auth-token-for-the-route-walk"
SAMPLE_BODIES = {
    ("POST", "/api/v1/tips"): {"narrative": "walking the routes"},
    ("POST", "/api/v1/decisions/{decision_id}/override"): {
        "targets": [{"agency_id": "cps-tx"}],
        "reason": "walking the routes",
    },
    ("POST", "/api/v1/rulesets"): {"content": "ruleset: x"},
    ("POST", "/api/v1/rulesets/validate"): {"content": "ruleset: x"},
    ("POST", "/api/v1/rulesets/simulate"): {"content": "ruleset: x"},
    ("PATCH", "/api/v1/agencies/{agency_id}/contact"): {"url": "https://example.org"},
    ("POST", "/api/v1/match-reviews/{review_id}/confirm"): {"reason": "walking the routes"},
    ("POST", "/api/v1/match-reviews/{review_id}/reject"): {"reason": "walking the routes"},
    ("POST", "/api/v1/cases/{case_id}/merge"): {
        "into_case_id": "00000000-0000-0000-0000-000000000003",
        "reason": "walking the routes",
    },
    ("POST", "/api/v1/tips/{tip_id}/move-to-new-case"): {"reason": "walking the routes"},
    ("POST", "/api/v1/referrals/{referral_id}/ack"): {"status": "accepted"},
    ("POST", "/api/v1/delivery/referrals/{referral_id}/outcome"): {"status": "accepted"},
    ("POST", "/api/v1/delivery/endpoints"): {
        "agency_id": "cps-tx",
        "url": "https://partner.example.org/hooks",
    },
    ("PATCH", "/api/v1/delivery/endpoints/{endpoint_id}"): {"url": "https://partner.example.org/v2"},
    ("POST", "/api/v1/delivery/endpoints/{endpoint_id}/rotate-secret"): {},
    ("POST", "/api/v1/delivery/endpoints/{endpoint_id}/replay"): {"since": "2026-11-24T00:00:00Z"},
}
SAMPLE_PARAMS = {
    "tip_id": "00000000-0000-0000-0000-000000000001",
    "case_id": "00000000-0000-0000-0000-000000000002",
    "decision_id": "00000000-0000-0000-0000-000000000003",
    "version": "1",
    "agency_id": "cps-tx",
    "review_id": "00000000-0000-0000-0000-000000000008",
    "referral_id": "00000000-0000-0000-0000-000000000004",
    "delivery_id": "00000000-0000-0000-0000-000000000005",
    "endpoint_id": "00000000-0000-0000-0000-000000000006",
    "alert_id": "00000000-0000-0000-0000-000000000007",
}


@pytest.fixture
def settings(database_url):
    # Twilio routes configured, so that a refusal below is about the request, not missing configuration.
    return make_settings(database_url, twilio_auth_token=TWILIO_AUTH_TOKEN)


def _operations(app) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_route_is_in_the_access_matrix(app):
    assert _operations(app) == set(ACCESS_MATRIX) | PUBLIC | TWILIO_SIGNED


@pytest.mark.parametrize(("method", "path"), sorted(ACCESS_MATRIX))
def test_each_route_refuses_a_missing_or_wrong_key_and_each_role_gets_what_the_matrix_says(
    client, auth, method, path
):
    url = path.format(**SAMPLE_PARAMS)
    body = SAMPLE_BODIES.get((method, path))
    assert client.request(method, url, json=body).status_code == 401
    bogus = {"Authorization": "Bearer hk_000000000000_not-a-real-key"}
    assert client.request(method, url, json=body, headers=bogus).status_code == 401
    for role in ALL_ROLES:
        status = client.request(method, url, json=body, headers=auth(role)).status_code
        if role in ACCESS_MATRIX[(method, path)]:
            assert status not in {401, 403}, f"{role} refused on {method} {path}"
        else:
            assert status == 403, f"{role} got {status} on {method} {path}"


@pytest.mark.parametrize(("method", "path"), sorted(TWILIO_SIGNED))
def test_each_twilio_route_refuses_requests_without_twilio_signature_whatever_key_they_carry(
    client, auth, method, path
):
    form = {"CallSid": "CA0000", "MessageSid": "SM0000", "From": "+15125550100"}
    assert client.request(method, path, data=form).status_code == 403
    forged = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    assert client.request(method, path, data=form, headers=forged).status_code == 403
    for role in ALL_ROLES:
        assert client.request(method, path, data=form, headers=auth(role)).status_code == 403


def test_public_routes_need_no_key(client):
    for method, path in PUBLIC:
        assert client.request(method, path).status_code == 200


def test_only_a_digest_of_the_key_is_stored(session):
    api_key, plaintext = auth_service.create_api_key(
        session=session, name="desk-1", role=Role.advocate, actor=system_actor("tests")
    )
    session.flush()
    stored = session.exec(select(ApiKey).where(ApiKey.id == api_key.id)).one()
    assert plaintext not in {stored.key_digest, stored.prefix}
    assert plaintext.split("_", 2)[2] not in stored.key_digest
    assert auth_service.authenticate_api_key(session=session, presented=plaintext).name == "desk-1"


def test_a_revoked_key_is_refused(client, session, make_api_key):
    key = make_api_key(Role.advocate)
    stored = session.exec(select(ApiKey).where(ApiKey.prefix == key.split("_")[1])).one()
    stored.revoked_at = datetime.now(UTC)
    session.commit()
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_the_key_also_works_as_an_x_api_key_header(client, make_api_key):
    assert client.get("/api/v1/cases", headers={"X-API-Key": make_api_key()}).status_code == 200


def test_partner_keys_must_name_their_agency_and_other_keys_must_not(session):
    with pytest.raises(ValueError, match="agency"):
        auth_service.create_api_key(session=session, name="p", role=Role.partner, actor=system_actor("t"))
    with pytest.raises(ValueError, match="partner"):
        auth_service.create_api_key(
            session=session, name="a", role=Role.advocate, agency_id="cps-tx", actor=system_actor("t")
        )
