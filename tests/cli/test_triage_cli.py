"""`hotline triage FILE.jsonl` prints each assessment with evidence spans pointing at the reporter's words."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import hotline
from tests.support.factories import tip_payload

ENGLISH = (
    "Caller's neighbor says a 15-year-old girl is brought to the motel on Airline Drive by a 45-year-old man "
    "who posts ads for her. Tonight he is moving her to Dallas."
)
SPANISH = "Mi prima tiene 20 años pero su padrastro la prostituye desde los 15. No es menor de edad ahora."


@pytest.mark.committed
def test_triage_prints_evidence_spans_for_minor_type_and_urgency(committed_db, tmp_path):
    lines = [
        tip_payload(external_id="spans-en", narrative=ENGLISH, persons=[], trafficking_type="unknown"),
        tip_payload(
            external_id="spans-es", narrative=SPANISH, persons=[], trafficking_type="unknown", language="es"
        ),
    ]
    path = tmp_path / "tips.jsonl"
    path.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8"
    )

    english, spanish = (
        json.loads(line) for line in hotline("triage", str(path), db=committed_db).stdout.splitlines()
    )

    def pointed(evidence: list[dict], narrative: str) -> dict[str, str]:
        found = {}
        for item in evidence:
            if item["source"] == "narrative":
                start, end = item["span"]
                assert narrative[start:end] == item["text"]
                found[item["text"]] = item["reason"]
        return found

    assert (english["minor"]["status"], english["minor"]["min_age"]) == ("confirmed", 15)
    minor_words = pointed(english["minor"]["evidence"], ENGLISH)
    assert "under 18" in minor_words["15-year-old"]
    assert minor_words["45-year-old"] == "not counted: the age of the suspect"
    assert english["trafficking_type"] == "sex"
    assert "posts ads for her" in pointed(english["trafficking_type_evidence"], ENGLISH)
    assert english["urgency"] == "emergency"
    assert "Tonight" in pointed(english["urgency_evidence"], ENGLISH)

    assert (spanish["minor"]["status"], spanish["minor"]["min_age"]) == ("confirmed", 15)
    assert "desde los 15" in pointed(spanish["minor"]["evidence"], SPANISH)
    assert spanish["trafficking_type"] == "sex" and "prostituye" in pointed(
        spanish["trafficking_type_evidence"], SPANISH
    )
    assert spanish["urgency"] == "high"
