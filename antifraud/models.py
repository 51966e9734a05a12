"""Models of the antifraud app."""
