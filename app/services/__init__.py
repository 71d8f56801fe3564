"""Use cases: the rules and queries behind the views, testable without an HTTP client."""
