"""Who may do what: API keys for machines, roles, and the actor every action is recorded under."""
