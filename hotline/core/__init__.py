"""The core every other package stands on: settings, the database, encryption, the audit log, actors,
pagination, logging, metrics and errors. It imports nothing else of the project."""
