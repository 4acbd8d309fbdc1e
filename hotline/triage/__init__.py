"""Triage: from a stored tip to a case, an assessment and a routing decision."""
