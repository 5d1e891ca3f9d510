"""The plan itself: its model, numbers, progress rules and the parser that reads it from a
published text. Pure Python: no SQLite, no Qt, no output formats."""
