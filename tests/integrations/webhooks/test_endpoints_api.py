"""Endpoints through the API: administrators register, change and rotate; supervisors watch their health.
A secret appears in the answer that creates it and nowhere else; bad input names the field and why."""

from __future__ import annotations

import uuid

import pytest

from hotline.core import crypto
from hotline.core.audit import service as audit_service
from integrations.webhooks import service as webhook_service
from tests.support.database import make_settings

PARTNER_URL = "https://partner.example.org/hooks"


def _register(client, headers, **body):
    return client.post(
        "/api/v1/delivery/endpoints",
        json={"agency_id": "cps-tx", "url": PARTNER_URL, **body},
        headers=headers,
    )


def test_an_administrator_registers_an_endpoint_and_sees_its_secret_once(client, auth, session):
    admin = auth("admin")
    response = _register(client, admin, fields=["case_id", "urgency"])
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["agency_id"] == "cps-tx"
    assert body["fields"] == ["case_id", "urgency"] and body["effective_fields"] == ["case_id", "urgency"]
    assert response.headers["location"] == f"/api/v1/delivery/endpoints/{body['id']}"
    for role in ("admin", "supervisor"):
        read = client.get(f"/api/v1/delivery/endpoints/{body['id']}", headers=auth(role))
        assert read.status_code == 200 and "secret" not in read.json() and "whsec_" not in read.text
    [event] = audit_service.events_for(session, subject_type="webhook_endpoint", subject_id=body["id"])
    assert event.action == "webhook_endpoint.registered" and "whsec_" not in str(event.detail)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"agency_id": "cps-zz"}, 422, "agency_id"),
        ({"fields": ["narrative", "favourite_colour"]}, 422, "fields"),
        ({"url": "ftp://partner.example.org/hooks"}, 422, "url"),
        ({"url": "https://user:pass@partner.example.org/hooks"}, 422, "url"),
        ({"url": "not a url"}, 422, "url"),
    ],
)
def test_bad_registrations_are_refused_with_the_field(client, auth, body, status, field):
    response = _register(client, auth("admin"), **body)
    assert response.status_code == status
    assert response.json()["detail"][0]["field"] == field


def test_a_services_agency_cannot_be_given_fields_beyond_its_agreement(client, auth):
    response = client.post(
        "/api/v1/delivery/endpoints",
        json={"agency_id": "services-tx", "url": PARTNER_URL, "fields": ["persons.name"]},
        headers=auth("admin"),
    )
    assert response.status_code == 422 and "persons.name" in response.json()["detail"][0]["msg"]


def test_an_agency_has_one_endpoint(client, auth):
    admin = auth("admin")
    assert _register(client, admin).status_code == 201
    again = _register(client, admin)
    assert again.status_code == 409 and "already has an endpoint" in again.json()["detail"]


def test_production_wants_https_except_on_this_machine(database_url):
    production = make_settings(
        database_url,
        environment="production",
        secret_key="x" * 40,
        matching_key="m" * 40,
        data_keys=f"k1:{crypto.new_key()}",
    )
    with pytest.raises(webhook_service.Refused, match="https"):
        webhook_service.check_url("http://partner.example.org/hooks", settings=production)
    for local in ("http://127.0.0.1:9000/", "http://localhost:9000/", "http://[::1]:9000/"):
        assert webhook_service.check_url(local, settings=production) == local


def test_an_administrator_changes_the_url_and_fields_and_rotates_the_secret(client, auth):
    admin = auth("admin")
    created = _register(client, admin, fields=["case_id"]).json()
    url = f"/api/v1/delivery/endpoints/{created['id']}"

    patched = client.patch(url, json={"url": "https://partner.example.org/v2", "fields": None}, headers=admin)
    assert patched.status_code == 200
    assert patched.json()["url"] == "https://partner.example.org/v2" and patched.json()["fields"] is None
    assert "narrative" in patched.json()["effective_fields"]
    bad = client.patch(url, json={"fields": ["nonsense"]}, headers=admin)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "fields"

    rotated = client.post(f"{url}/rotate-secret", json={"grace_hours": 2}, headers=admin).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["rotating"] is True and rotated["previous_secret_expires_at"] is not None
    at_once = client.post(f"{url}/rotate-secret", json={"grace_hours": 0}, headers=admin).json()
    assert at_once["rotating"] is False


def test_supervisors_filter_endpoints_by_health(client, auth, session):
    admin, supervisor = auth("admin"), auth("supervisor")
    healthy = _register(client, admin).json()
    failing = client.post(
        "/api/v1/delivery/endpoints", json={"agency_id": "le-tx", "url": PARTNER_URL}, headers=admin
    ).json()
    endpoint = webhook_service.get_endpoint(session=session, endpoint_id=uuid.UUID(failing["id"]))
    endpoint.failing_since = endpoint.created_at
    session.commit()
    listed = client.get("/api/v1/delivery/endpoints?failing=true", headers=supervisor).json()
    assert [e["agency_id"] for e in listed] == ["le-tx"]
    assert [
        e["id"] for e in client.get("/api/v1/delivery/endpoints?failing=false", headers=supervisor).json()
    ] == [healthy["id"]]
    assert (
        client.get(
            "/api/v1/delivery/endpoints/00000000-0000-0000-0000-000000000000", headers=supervisor
        ).status_code
        == 404
    )
