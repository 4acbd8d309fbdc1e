"""Routing: facts, versioned rulesets, jurisdiction resolution and the agency directory."""
