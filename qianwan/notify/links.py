"""Absolute links: a message read on a phone needs the platform's address, not a path."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` under SITE_URL (a link a phone can open); an absolute URL is returned as it is."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path if path.startswith('/') else '/' + path}"
