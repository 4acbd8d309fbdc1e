"""Integrations with the outside world: Twilio (voice, SMS) and partner webhooks."""
