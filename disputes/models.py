"""Models of the disputes app."""
