"""Use cases of the police area."""
