"""Every table, imported in one place so that metadata, Alembic and the app see the whole schema."""

from hotline.audit import service as _audit_service  # noqa: F401  (registers the audit chain on commit)
from hotline.audit.models import AuditEvent
from hotline.auth.models import ApiKey
from hotline.cases.models import Case, CaseTip
from hotline.matching.models import MatchDecision, MatchKey, MatchReview
from hotline.tips.models import Tip, TipPerson

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Case",
    "CaseTip",
    "MatchDecision",
    "MatchKey",
    "MatchReview",
    "Tip",
    "TipPerson",
]
