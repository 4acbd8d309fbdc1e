"""The web UI for people: advocates enter and read tips and cases; supervisors audit; admins manage users."""
