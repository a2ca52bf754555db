"""Chat platforms: each renders Summaries and replies its own way behind the same small interface."""
