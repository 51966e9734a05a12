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


def _refuse_unusable(token: ApiToken | None, now) -> None:
    """401 with the code that says why (api-contract.md "Errors"): invalid, revoked or expired."""
    if token is None:
        raise exceptions.AuthenticationFailed(_("令牌无效：没有这个令牌。"), code="token_invalid")
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed(_("令牌已被吊销，请向管理员申请新令牌。"), code="token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise exceptions.AuthenticationFailed(_("令牌已过期，请向管理员申请新令牌。"), code="token_expired")
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("令牌所属账号已停用。"), code="token_invalid")


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` against hashed, revocable, optionally expiring tokens."""

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("令牌格式错误：应为 “Authorization: Token <密钥>”。"), code="token_invalid"
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("令牌包含非法字符。"), code="token_invalid") from exc
        token = _token(hash_token(key))
        now = timezone.now()
        _refuse_unusable(token, now)
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now  # the kept token too: the next write is a minute away
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
