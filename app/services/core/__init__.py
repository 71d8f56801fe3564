"""Use cases of the core area."""
