"""Referrals: what each agency receives for a tip, how it is acknowledged, escalated and rerouted."""
