"""Dedup: normalise, block, score and place each tip in its case; the supervisors' review queue."""
