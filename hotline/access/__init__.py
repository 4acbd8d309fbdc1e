"""Access log: who read which tip or case with personal data, and when (API keys and signed-in people)."""
