"""Every table, imported in one place so that metadata, Alembic and the app see the whole schema."""

from hotline.access.models import AccessLogEntry
from hotline.agencies.models import Agency, AgencyDirectorySync
from hotline.auth.models import ApiKey
from hotline.cases.models import Case, CaseTip
from hotline.core.audit import service as _audit_service  # noqa: F401  (registers the audit chain on commit)
from hotline.core.audit.models import AuditEvent
from hotline.decisions.models import RoutingDecision, RoutingOverride, Ruleset
from hotline.matching.models import MatchDecision, MatchKey, MatchReview
from hotline.referrals.models import Referral, SupervisorAlert
from hotline.tips.models import Tip, TipAttachment, TipPerson
from hotline.users.models import User, UserSession
from integrations.twilio.models import SmsMessage, SmsOptOut, SmsSession, TwilioCall
from integrations.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AccessLogEntry",
    "Agency",
    "AgencyDirectorySync",
    "ApiKey",
    "AuditEvent",
    "Case",
    "CaseTip",
    "MatchDecision",
    "MatchKey",
    "MatchReview",
    "Referral",
    "RoutingDecision",
    "RoutingOverride",
    "Ruleset",
    "SmsMessage",
    "SmsOptOut",
    "SmsSession",
    "SupervisorAlert",
    "Tip",
    "TipAttachment",
    "TipPerson",
    "TwilioCall",
    "User",
    "UserSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
