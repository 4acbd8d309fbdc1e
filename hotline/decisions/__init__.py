"""Routing decisions: the store of rulesets and of every decision with its facts, trace and overrides."""
