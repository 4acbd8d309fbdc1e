"""Every table, imported in one place so that metadata, Alembic and the app see the whole schema."""

from hotline.audit import service as _audit_service  # noqa: F401  (registers the audit chain on commit)
from hotline.audit.models import AuditEvent
from hotline.auth.models import ApiKey
from hotline.cases.models import Case, CaseTip
from hotline.tips.models import Tip, TipPerson
from routing.models import Agency, AgencyDirectorySync, RoutingDecision, RoutingOverride, Ruleset

__all__ = [
    "Agency",
    "AgencyDirectorySync",
    "ApiKey",
    "AuditEvent",
    "Case",
    "CaseTip",
    "RoutingDecision",
    "RoutingOverride",
    "Ruleset",
    "Tip",
    "TipPerson",
]
