"""Use cases of the staff area."""
