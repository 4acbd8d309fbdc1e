"""Partner webhooks: referrals, a transactional outbox, signed delivery with retries, dead letters and replay,
acknowledgements and SLA escalation (README, "Partner webhooks")."""
