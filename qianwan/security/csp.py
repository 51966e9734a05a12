"""Content-Security-Policy helpers (the policy itself is ``CONTENT_SECURITY_POLICY`` in settings).

Kept free of Django imports at module level: the settings import ``url_origin``.
"""

import base64
import hashlib
import re
from urllib.parse import urlsplit


def url_origin(url: str) -> list[str]:
    """``[scheme://host[:port]]`` of a configured URL for a CSP source list, or ``[]`` when unset.

    A Leaflet tile template such as ``https://{s}.tiles.example/{z}/{x}/{y}.png`` becomes
    ``https://*.tiles.example``.
    """
    if not url:
        return []
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return []
    host = re.sub(r"^\{s\}\.", "*.", parts.netloc)
    if "{" in host:
        return []
    return [f"{parts.scheme}://{host}"]


def inline_hashes(html: str, tag: str) -> list[str]:
    """CSP ``'sha256-…'`` sources for every inline ``<tag>…</tag>`` body in ``html``."""
    bodies = re.findall(rf"<{tag}(?:\s[^>]*)?>(.*?)</{tag}>", html, flags=re.S | re.I)
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in bodies
        if body.strip()
    ]


def swagger_ui_style_hashes() -> list[str]:
    """Hashes of the inline ``<style>`` in drf-spectacular's Swagger UI page (a bundled third-party
    template we do not fork): the docs view allows exactly that block, nothing else inline."""
    from django.template.loader import get_template

    source = get_template("drf_spectacular/swagger_ui.html").template.source
    return inline_hashes(source, "style")


def swagger_docs_view(**initkwargs):
    """Swagger UI at /api/docs/ under the strict CSP: drf-spectacular's split view serves the
    initialising script as a same-origin file (no inline script), and only the hash of the page's
    own inline ``<style>`` block is added to ``style-src`` for this one view."""
    from functools import wraps

    from drf_spectacular.views import SpectacularSwaggerSplitView

    view = SpectacularSwaggerSplitView.as_view(**initkwargs)

    @wraps(view)
    def docs(request, *args, **kwargs):
        # a person without a session goes to the login page (and back here), not to a bare
        # "401 Unauthorized"; a client that sends a token is left to the API's authentication
        if not request.user.is_authenticated and "HTTP_AUTHORIZATION" not in request.META:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        response = view(request, *args, **kwargs)
        response._csp_update = {"style-src": _style_hashes()}
        return response

    return docs


_STYLE_HASHES: list[str] = []


def _style_hashes() -> list[str]:
    if not _STYLE_HASHES:
        _STYLE_HASHES.extend(swagger_ui_style_hashes())
    return _STYLE_HASHES
