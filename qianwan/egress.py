"""Where the server may send HTTP: the one rule for every outbound request (robots, partner pushes).

A URL passes when
- its scheme is ``https`` (``http`` only with ``QIANWAN_EGRESS_ALLOW_HTTP``, on in tests only);
- its host is on the allow-list: ``QIANWAN_EGRESS_ALLOWED`` (settings) plus the admin-edited
  :class:`qianwan.notify.models.EgressAllow` rows. An entry is a host name (``oapi.dingtalk.com``),
  a wildcard (``*.dingtalk.com``), an address or a network in CIDR form (``10.20.0.0/16``);
- every address the host resolves to is acceptable: never loopback, link-local, cloud metadata,
  multicast, unspecified or reserved; a private address (10/8, 172.16/12, 192.168/16, 100.64/10,
  fc00::/7) only when an address or network entry names it — naming the host is not enough, so a
  public name that starts resolving to an internal address is refused.

``QIANWAN_EGRESS_ALLOW_LOOPBACK`` (tests only: the test receivers listen on 127.0.0.1) lets loopback
addresses through. The request then goes to the address that was checked (no second lookup), with
the original ``Host`` header and, for https, the original name for SNI and certificate checking;
redirects are never followed.
"""

import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# Cloud metadata endpoints (AWS/GCP/Azure/OpenStack, Alibaba Cloud, Tencent Cloud, AWS IPv6, ECS task)
METADATA = {
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "100.100.100.200", "169.254.0.23", "fd00:ec2::254", "169.254.170.2")
}
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, internal in practice


class EgressRefused(Exception):
    """The URL is not a permitted destination; ``message`` is for the person who entered it."""

    def __init__(self, message: str, code: str = "egress_refused"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL (a name or an address), for Host and SNI
    port: int
    path: str  # path and query
    address: str  # the checked address to connect to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class _Allow:
    names: tuple[str, ...]  # exact names, lower-case
    suffixes: tuple[str, ...]  # ".dingtalk.com" for "*.dingtalk.com"
    networks: tuple  # ip_network objects

    def names_host(self, host: str) -> bool:
        return host in self.names or any(host.endswith(s) for s in self.suffixes)

    def covers(self, address) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)


def parse_entry(entry: str):
    """An allow-list entry as an ip_network, or a lower-case host pattern; ValueError if neither."""
    entry = (entry or "").strip().lower()
    if not entry:
        raise ValueError("empty")
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        pass
    name = entry[2:] if entry.startswith("*.") else entry
    labels = name.split(".")
    if (
        not name
        or any(not label or len(label) > 63 for label in labels)
        or not all(c.isalnum() or c in "-." for c in name)
    ):
        raise ValueError(f"not a host name or network: {entry}")
    return entry


def allow_list() -> _Allow:
    entries = list(getattr(settings, "QIANWAN_EGRESS_ALLOWED", []))
    from qianwan.notify.models import EgressAllow

    try:
        entries += list(EgressAllow.objects.filter(enabled=True).values_list("entry", flat=True))
    except DatabaseError:  # fails closed: only the settings' entries count
        log.warning("egress allow-list table unreadable; using the settings' entries only", exc_info=True)
    names, suffixes, networks = [], [], []
    for entry in entries:
        try:
            parsed = parse_entry(entry)
        except ValueError:
            continue
        if isinstance(parsed, str):
            (suffixes.append(parsed[1:]) if parsed.startswith("*.") else names.append(parsed))
        else:
            networks.append(parsed)
    return _Allow(tuple(names), tuple(suffixes), tuple(networks))


def _normalise(address):
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_problem(address, allow: _Allow, *, host_named: bool) -> str | None:
    """Why ``address`` may not be contacted, or None."""
    address = _normalise(address)
    if address in METADATA or address.is_link_local:
        return _("不能发送到链路本地或云平台元数据地址。")
    if address.is_loopback:
        if getattr(settings, "QIANWAN_EGRESS_ALLOW_LOOPBACK", False):
            return None
        return _("不能发送到本机地址。")
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return _("不能发送到该地址。")
    if address.is_private or (address.version == 4 and address in SHARED_ADDRESS_SPACE):
        if allow.covers(address):
            return None
        return _("内网地址须由管理员以网段或地址形式加入出站白名单后才能使用。")
    if host_named or allow.covers(address):
        return None
    return _("该地址不在出站白名单中，请联系管理员添加。")


def _resolve(host: str, port: int) -> list:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


def check_url(url: str, *, resolve: bool = True) -> Target:
    """The checked destination of ``url``; raises :class:`EgressRefused` with a Chinese message.

    With ``resolve=False`` (or when a name on the allow-list does not resolve at save time, see
    :func:`validate_url`) ``Target.address`` is empty and the caller must not connect."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise EgressRefused(_("地址格式不正确。")) from exc
    scheme = parts.scheme.lower()
    allowed_schemes = (
        ("https", "http") if getattr(settings, "QIANWAN_EGRESS_ALLOW_HTTP", False) else ("https",)
    )
    if scheme not in allowed_schemes:
        raise EgressRefused(_("只能使用 https:// 开头的地址。"))
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise EgressRefused(_("地址缺少主机名。"))
    if parts.username is not None or parts.password is not None:
        raise EgressRefused(_("地址中不能包含用户名或密码。"))
    port = port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    allow = allow_list()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    host_named = literal is None and allow.names_host(host)
    if literal is not None:
        addresses = [literal]
    elif not resolve:
        if not host_named:
            raise EgressRefused(_("该主机不在出站白名单中，请联系管理员添加。"))
        return Target(scheme, host, port, path, "")
    else:
        try:
            addresses = _resolve(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            if not host_named:
                raise EgressRefused(_("该主机不在出站白名单中，请联系管理员添加。"))
            raise EgressRefused(_("无法解析该主机名。"), code="unresolved")
    for address in addresses:
        problem = address_problem(address, allow, host_named=host_named)
        if problem:
            raise EgressRefused(problem)
    return Target(scheme, host, port, path, str(_normalise(addresses[0])))


def validate_url(value: str) -> None:
    """Save-time check for forms, serializers and models: the same rules as at send time. A name on
    the allow-list that does not resolve yet (no DNS from here) is accepted; it is checked again,
    resolved, on every send."""
    if not value:
        return
    try:
        check_url(value)
    except EgressRefused as exc:
        if exc.code == "unresolved":
            try:
                check_url(value, resolve=False)
                return
            except EgressRefused as again:
                exc = again
        raise ValidationError(
            _("不允许的推送地址：%(reason)s") % {"reason": exc.message}, code="egress_refused"
        ) from None
