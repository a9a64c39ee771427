"""The console: the rich view of a trace (live lines, status panel, report tables)."""
