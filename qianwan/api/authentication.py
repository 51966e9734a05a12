from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from qianwan import refcache
from qianwan.org.models import ApiToken, hash_token

# last_used_at is a hint for admins, not an access log: write it at most once a minute per token.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


@refcache.cached
def _token(key_hash: str) -> ApiToken | None:
    """The token (with its user) kept per process: creating or revoking a token and saving a user are
    watched writes (qianwan/refcache.py), so a revocation or a deactivated user counts from the next
    request of every process; expiry is checked on every request."""
    return ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` against hashed, revocable, optionally expiring tokens."""

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式错误：应为 “Authorization: Token <密钥>”。"))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("令牌包含非法字符。")) from exc
        token = _token(hash_token(key))
        now = timezone.now()
        if token is None or not token.is_usable(now) or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效、已过期或已被吊销。"))
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now  # the kept token too: the next write is a minute away
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
