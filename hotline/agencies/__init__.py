"""The agency directory in the database: synced from the shipped file, with contact details."""
