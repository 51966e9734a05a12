"""Login edges (issue 16, item 8)."""

# django-axes records the attempted username in a 255-character column
AXES_USERNAME_MAX = 255


def axes_username(request, credentials=None) -> str:
    """The username django-axes records for an attempt, cut to what its column holds, so that a
    login with any username length is an ordinary failed attempt (never a database error / 500).
    Lockouts still count per (username, IP): names sharing their first 255 characters share one."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username", "")
    return str(value or "")[:AXES_USERNAME_MAX]
