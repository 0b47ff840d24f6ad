"""A test-only app with one small state machine: proves that a new transition needs one table
record and one model method, and nothing else, to be performed, refused and listed."""
