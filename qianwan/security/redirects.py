"""Where a ``next`` parameter may lead: a path on this site, nothing else (issue 16, item 9)."""

from django.utils.http import url_has_allowed_host_and_scheme


def is_local_path(url: str | None) -> bool:
    """``url`` is a path of this site: starts with one ``/`` and names no host or scheme (``//x``,
    ``/\\x``, ``https://x``, ``javascript:`` and anything with control characters are refused)."""
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    if any(ord(c) < 32 or c == "\\" for c in url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)


def local_next(request, default: str, *, field: str = "next") -> str:
    """The request's ``next`` (POST, then GET) when it is a local path, else ``default``."""
    value = request.POST.get(field) or request.GET.get(field) or ""
    return value if is_local_path(value) else default
