"""Reports: figures over a period for supervisors, and their CSV export (audited)."""
