"""Intake: the one pipeline every channel takes, from a submitted tip to a triaged, routed, referred tip."""
