"""Who may call what: the access matrix every API route must appear in (tests/auth/ walks it, the fuzz run
sends each generated request with a key of a role it allows)."""

from __future__ import annotations

from hotline.core.actor import Role

ALL_ROLES = tuple(Role)
ADVOCATES = {Role.advocate, Role.supervisor}
SUPERVISORS = {Role.supervisor}
ADMINS = {Role.admin}
PARTNERS = {Role.partner}

# Who may call what. A route missing here fails `test_every_route_is_in_the_access_matrix`, so a new
# route cannot ship without a decision about who may use it.
ACCESS_MATRIX: dict[tuple[str, str], set[Role]] = {
    ("POST", "/api/v1/tips"): ADVOCATES,
    ("GET", "/api/v1/tips/{tip_id}"): ADVOCATES,
    ("GET", "/api/v1/cases"): ADVOCATES,
    ("GET", "/api/v1/cases/{case_id}"): ADVOCATES,
    ("GET", "/api/v1/cases/{case_id}/access"): SUPERVISORS,
    ("GET", "/api/v1/decisions"): SUPERVISORS,
    ("GET", "/api/v1/decisions/{decision_id}"): SUPERVISORS,
    ("POST", "/api/v1/decisions/{decision_id}/replay"): SUPERVISORS,
    ("POST", "/api/v1/decisions/{decision_id}/override"): SUPERVISORS,
    ("GET", "/api/v1/rulesets"): SUPERVISORS,
    ("GET", "/api/v1/rulesets/{version}"): SUPERVISORS,
    ("POST", "/api/v1/rulesets"): SUPERVISORS,
    ("POST", "/api/v1/rulesets/validate"): SUPERVISORS,
    ("POST", "/api/v1/rulesets/simulate"): SUPERVISORS,
    ("GET", "/api/v1/agencies"): ADVOCATES,
    ("GET", "/api/v1/agencies/{agency_id}"): ADVOCATES,
    ("PATCH", "/api/v1/agencies/{agency_id}/contact"): ADMINS,
    ("GET", "/api/v1/match-reviews"): SUPERVISORS,
    ("GET", "/api/v1/match-reviews/{review_id}"): SUPERVISORS,
    ("POST", "/api/v1/match-reviews/{review_id}/confirm"): SUPERVISORS,
    ("POST", "/api/v1/match-reviews/{review_id}/reject"): SUPERVISORS,
    ("POST", "/api/v1/cases/{case_id}/merge"): SUPERVISORS,
    ("GET", "/api/v1/cases/{case_id}/match-decisions"): SUPERVISORS,
    ("POST", "/api/v1/tips/{tip_id}/move-to-new-case"): SUPERVISORS,
    ("GET", "/api/v1/referrals"): PARTNERS,
    ("GET", "/api/v1/referrals/{referral_id}"): PARTNERS,
    ("POST", "/api/v1/referrals/{referral_id}/ack"): PARTNERS,
    ("GET", "/api/v1/delivery/referrals"): SUPERVISORS,
    ("GET", "/api/v1/delivery/referrals/{referral_id}"): SUPERVISORS,
    ("POST", "/api/v1/delivery/referrals/{referral_id}/outcome"): SUPERVISORS,
    ("GET", "/api/v1/delivery/dead-letters"): SUPERVISORS,
    ("POST", "/api/v1/delivery/deliveries/{delivery_id}/replay"): SUPERVISORS,
    ("GET", "/api/v1/delivery/endpoints"): SUPERVISORS | ADMINS,
    ("GET", "/api/v1/delivery/endpoints/{endpoint_id}"): SUPERVISORS | ADMINS,
    ("POST", "/api/v1/delivery/endpoints"): ADMINS,
    ("PATCH", "/api/v1/delivery/endpoints/{endpoint_id}"): ADMINS,
    ("POST", "/api/v1/delivery/endpoints/{endpoint_id}/rotate-secret"): ADMINS,
    ("POST", "/api/v1/delivery/endpoints/{endpoint_id}/enable"): SUPERVISORS,
    ("POST", "/api/v1/delivery/endpoints/{endpoint_id}/replay"): SUPERVISORS,
    ("GET", "/api/v1/alerts"): SUPERVISORS,
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): SUPERVISORS,
}
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz")}
# Twilio's webhooks: authenticated by X-Twilio-Signature, not by API key (tests/integrations/twilio/ covers
# valid ones).
TWILIO_SIGNED = {
    ("POST", "/twilio/voice"),
    ("POST", "/twilio/voice/language"),
    ("POST", "/twilio/voice/menu"),
    ("POST", "/twilio/voice/dial-status"),
    ("POST", "/twilio/voice/recorded"),
    ("POST", "/twilio/voice/recording"),
    ("POST", "/twilio/voice/transcription"),
    ("POST", "/twilio/voice/status"),
    ("POST", "/twilio/sms"),
    ("POST", "/twilio/sms/status"),
}
