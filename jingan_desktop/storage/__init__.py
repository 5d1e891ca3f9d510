"""The SQLite file: opening, checking and migrating it, the store's queries and writes with
their per-field change log, merging copies, backups, presence files and atomic file writes."""
