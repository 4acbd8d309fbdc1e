"""Cases: one case per situation (a person, family or place at risk), gathering the tips about it."""
