"""Tips: what reaches the hotline by any channel, stored as received."""
