"""Shared security helpers: CSP details, upload validation and scope-checked file serving."""
