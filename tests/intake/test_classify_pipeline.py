"""The classification in the pipeline: stored on the tip, returned by the API, audited with its version."""

from __future__ import annotations

import uuid

from sqlmodel import select

from hotline.core.audit.models import AuditEvent
from hotline.tips.models import Tip
from hotline.triage import classify
from tests.support.factories import tip_payload

NARRATIVE = "Mi vecina de 14 años ya no va a la escuela. Un señor de 50 la vende a sus amigos por dinero."


def test_a_submitted_tip_is_classified_from_its_narrative_and_the_result_is_stored_and_audited(
    client, auth, session
):
    payload = tip_payload(narrative=NARRATIVE, language="es", persons=[], trafficking_type="unknown")
    body = client.post("/api/v1/tips", json=payload, headers=auth("advocate")).json()

    triage = body["triage"]
    assert (triage["minor"]["status"], triage["minor"]["min_age"]) == ("confirmed", 14)
    evidence = {item["text"]: item for item in triage["minor"]["evidence"]}
    assert evidence["vecina de 14 años"]["span"] == [NARRATIVE.index("vecina"), NARRATIVE.index(" ya no")]
    assert evidence["señor de 50"]["reason"] == "not counted: the age of the suspect"
    assert triage["trafficking_type"] == "sex"
    assert triage["urgency"] == "high"

    tip = session.get(Tip, uuid.UUID(body["id"]))
    assert tip.triage["minor"] == triage["minor"] and (tip.minor_status, tip.urgency) == ("confirmed", "high")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "tip.triaged")).one()
    assert event.detail["trafficking_type"] == "sex"
    assert event.detail["classifier"] == classify.CLASSIFIER_VERSION
    # No narrative words in the audit detail: it is read by more people than the tip.
    assert "vecina" not in str(event.detail)
