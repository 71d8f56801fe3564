"""Use cases of the citizen area."""
