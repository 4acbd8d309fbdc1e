"""Personal data over time: data-key rotation and the retention policy."""
