"""People who sign in to the web UI: accounts, passwords, sessions and lockout. Machines use API keys."""
