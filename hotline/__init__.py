"""Hotline triage and case routing: intake, dedup, classification, routing and partner delivery."""
