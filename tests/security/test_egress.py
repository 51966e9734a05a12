"""Outbound HTTP only where configured (issue 16, item 3): the egress rules of qianwan/egress.py as a
table, the real transport (loopback receivers), and the SSRF reproduction through liaison groups."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qianwan import egress
from qianwan.egress import EgressRefused, check_url, validate_url
from qianwan.notify.models import Channel, Delivery, EgressAllow
from qianwan.org.choices import Role
from qianwan.webhooks import CONNECT_FAILED, REFUSED, post_json
from tests.errors import error_fields

pytestmark = pytest.mark.django_db

ALLOWED = ["oapi.dingtalk.com", "*.partner.example", "10.20.0.0/16", "localhost", "rebind.example"]


@pytest.fixture
def strict(settings):
    """Production rules: https only, no loopback; the allow-list above."""
    settings.QIANWAN_EGRESS_ALLOW_HTTP = False
    settings.QIANWAN_EGRESS_ALLOW_LOOPBACK = False
    settings.QIANWAN_EGRESS_ALLOWED = ALLOWED
    return settings


@pytest.fixture
def fake_dns(monkeypatch):
    """A resolver for names that do not exist offline (a stand-in for DNS, not for our code): maps a
    name to a list of answers given in turn, the last one repeating; other names resolve normally."""
    answers: dict[str, list[str]] = {}
    calls: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host in answers:
            calls.append(host)
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, calls


OK = None
CASES = [
    # (url, refused reason fragment or None)
    ("https://oapi.dingtalk.com/robot/send?access_token=x", OK),  # named; resolution deferred offline
    ("http://oapi.dingtalk.com/robot/send", "https://"),
    ("ftp://oapi.dingtalk.com/x", "https://"),
    ("file:///etc/passwd", "https://"),
    ("gopher://10.20.0.1:6379/_x", "https://"),
    ("https://evil.example/hook", "白名单"),
    ("https://oapi.dingtalk.com.evil.example/", "白名单"),
    ("https://user:pw@oapi.dingtalk.com/", "用户名"),
    ("https://8.8.8.8/", "白名单"),  # public address not listed
    ("https://127.0.0.1/internal/admin", "本机"),
    ("https://127.1.2.3:8000/", "本机"),
    ("https://localhost:8000/", "本机"),  # a listed name that resolves to loopback
    ("https://[::1]/", "本机"),
    ("https://[::ffff:127.0.0.1]/", "本机"),
    ("https://0.0.0.0/", "不能发送"),
    ("https://169.254.169.254/latest/meta-data/", "元数据"),
    ("https://100.100.100.200/latest/meta-data/", "元数据"),  # Alibaba Cloud metadata
    ("https://[fe80::1]/", "元数据"),
    ("https://224.0.0.1/", "不能发送"),
    ("https://10.20.3.4/grid/push", OK),  # private, listed as a network
    ("https://10.30.0.1/", "内网"),  # private, not listed
    ("https://192.168.1.1/", "内网"),
    ("https://172.16.0.1/", "内网"),
    ("https://100.64.0.1/", "内网"),  # shared address space
    ("https://[fd00::1]/", "内网"),
]


@pytest.mark.parametrize("url,reason", CASES)
def test_egress_rules_table(strict, url, reason):
    if reason is None:
        validate_url(url)
        return
    with pytest.raises(EgressRefused) as excinfo:
        check_url(url)
    assert reason in excinfo.value.message
    with pytest.raises(Exception) as at_save:  # the same rule at save time, as a Chinese message
        validate_url(url)
    assert "不允许的推送地址" in str(at_save.value)


def test_http_only_by_setting(strict):
    with pytest.raises(EgressRefused):
        check_url("http://10.20.0.5/x")
    strict.QIANWAN_EGRESS_ALLOW_HTTP = True
    assert check_url("http://10.20.0.5/x").address == "10.20.0.5"


def test_names_resolving_to_internal_addresses(strict, fake_dns):
    answers, _calls = fake_dns
    # a listed public name that starts resolving to an internal address (DNS rebinding) is refused
    answers["hook.partner.example"] = ["10.99.0.7"]
    with pytest.raises(EgressRefused, match="内网"):
        check_url("https://hook.partner.example/x")
    answers["hook.partner.example"] = ["169.254.169.254"]
    with pytest.raises(EgressRefused, match="元数据"):
        check_url("https://hook.partner.example/x")
    # an unlisted name whose address is inside a listed network passes (government networks)
    answers["grid.gov.internal"] = ["10.20.8.9"]
    assert check_url("https://grid.gov.internal/push").address == "10.20.8.9"
    answers["hook.partner.example"] = ["93.184.216.34"]
    target = check_url("https://hook.partner.example:8443/p?q=1")
    assert (target.address, target.host_header, target.path) == (
        "93.184.216.34",
        "hook.partner.example:8443",
        "/p?q=1",
    )


def test_admin_allow_list(strict):
    with pytest.raises(EgressRefused):
        check_url("https://192.168.50.10/push")
    entry = EgressAllow(entry=" 192.168.50.0/24 ", note="区政府网格平台")
    entry.full_clean()
    entry.save()
    assert check_url("https://192.168.50.10/push").address == "192.168.50.10"
    # loopback and metadata are never allowed, whatever the list says
    EgressAllow.objects.create(entry="127.0.0.0/8")
    EgressAllow.objects.create(entry="169.254.0.0/16")
    for url in ("https://127.0.0.1/", "https://169.254.169.254/"):
        with pytest.raises(EgressRefused):
            check_url(url)
    entry.enabled = False
    entry.save()
    with pytest.raises(EgressRefused):
        check_url("https://192.168.50.10/push")
    from django.core.exceptions import ValidationError

    for bad in ("0.0.0.0/0", "not a host!", ""):
        with pytest.raises(ValidationError):
            EgressAllow(entry=bad).full_clean()


# ---------------------------------------------------------------- the transport


class _Server:
    """A loopback HTTP server answering every POST with ``status`` and ``headers``."""

    def __init__(self, status=200, headers=None, body=b'{"errcode": 0}'):
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append({"path": self.path, "host": self.headers["Host"]})
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made = []

    def make(**kwargs):
        made.append(_Server(**kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_redirects_are_not_followed(servers):
    inner = servers()
    outer = servers(status=302, headers={"Location": f"http://127.0.0.1:{inner.port}/internal/admin"})
    result = post_json(f"http://127.0.0.1:{outer.port}/hook", {"a": 1})
    assert not result.ok and result.status_code == 302 and result.error == "HTTP 302"
    assert len(outer.requests) == 1 and inner.requests == []


def test_connects_to_the_checked_address_without_a_second_lookup(settings, servers, fake_dns):
    """The name answers 127.0.0.1 once (checked, allowed in tests), then an address that is not ours:
    the request must reach the first answer, with the name in the Host header."""
    settings.QIANWAN_EGRESS_ALLOWED = ALLOWED
    answers, calls = fake_dns
    answers["rebind.example"] = ["127.0.0.1", "192.0.2.66"]
    receiver = servers()
    result = post_json(f"http://rebind.example:{receiver.port}/hook?access_token=t", {"a": 1})
    assert result.ok, result
    assert calls == ["rebind.example"]
    assert receiver.requests == [{"path": "/hook?access_token=t", "host": f"rebind.example:{receiver.port}"}]


def test_loopback_is_refused_without_the_test_setting(settings, servers):
    receiver = servers()
    settings.QIANWAN_EGRESS_ALLOW_LOOPBACK = False
    result = post_json(f"http://127.0.0.1:{receiver.port}/x", {"a": 1})
    assert not result.ok and not result.retryable and result.error == REFUSED
    assert receiver.requests == []


def test_failures_look_the_same_whatever_the_port(servers):
    """Closed port, a port that accepts and hangs up, a port that answers garbage: one generic error."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()

    hangup = socket.socket()
    hangup.bind(("127.0.0.1", 0))
    hangup.listen(5)
    garbage = socket.socket()
    garbage.bind(("127.0.0.1", 0))
    garbage.listen(5)

    def serve(sock, reply):
        for _ in range(2):
            try:
                conn, _addr = sock.accept()
            except OSError:
                return
            conn.recv(65536)
            if reply:
                conn.sendall(reply)
            conn.close()

    threads = [
        threading.Thread(target=serve, args=(hangup, b""), daemon=True),
        threading.Thread(target=serve, args=(garbage, b"SSH-2.0-OpenSSH_9.6\r\n"), daemon=True),
    ]
    for t in threads:
        t.start()
    try:
        errors = {
            post_json(f"http://127.0.0.1:{port}/x", {"a": 1}).error
            for port in (closed_port, hangup.getsockname()[1], garbage.getsockname()[1])
        }
    finally:
        hangup.close()
        garbage.close()
    assert errors == {CONNECT_FAILED}


# ---------------------------------------------------------------- the reproduction (issue 16, item 3)


@pytest.fixture
def internal_admin(servers):
    """Something on the server's loopback that must never be reached (an internal admin port)."""
    return servers()


def test_officer_cannot_create_a_liaison_group_pointing_inside(strict, api_as, officer, internal_admin):
    client = api_as(officer)
    for url in (
        f"http://127.0.0.1:{internal_admin.port}/internal/admin",
        f"https://127.0.0.1:{internal_admin.port}/internal/admin",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/",
    ):
        response = client.post(
            "/api/v1/antifraud/liaison-groups/",
            {"name": "反诈群", "kind": "wecom", "url": url, "station": "ADS"},
            format="json",
        )
        assert response.status_code == 400, (url, response.content)
        assert "不允许的推送地址" in " ".join(error_fields(response)["url"])
    assert not Channel.objects.exists()
    # an allowed robot is still fine
    response = client.post(
        "/api/v1/antifraud/liaison-groups/",
        {
            "name": "反诈群",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "station": "ADS",
        },
        format="json",
    )
    assert response.status_code == 201, response.content


def test_liaison_group_page_form_refuses_inside_urls(strict, client, officer, internal_admin):
    client.force_login(officer)
    response = client.post(
        "/antifraud/notices/",
        {
            "form": "group",
            "g-name": "反诈群",
            "g-kind": "wecom",
            "g-url": f"https://127.0.0.1:{internal_admin.port}/internal/admin",
            "g-station": officer.station_id,
        },
    )
    assert response.status_code == 400
    assert "不允许的推送地址" in response.content.decode()
    assert not Channel.objects.exists()


def test_a_stored_inside_url_is_never_posted_and_not_retried(
    strict, api_as, officer, station, internal_admin, django_capture_on_commit_callbacks
):
    """A channel saved before the rule (or behind its back): sending a notice reaches nothing, the
    delivery fails once with a generic message instead of six tries telling open from closed ports."""
    group = Channel.objects.create(
        name="旧群",
        kind="wecom",
        url=f"http://127.0.0.1:{internal_admin.port}/internal/admin",
        station=station,
        broadcast_only=True,
        kinds=["antifraud.notice"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(officer).post(
            "/api/v1/antifraud/notices/",
            {"title": "预警", "body": "内容", "fraud_type": "brushing", "groups": [group.pk]},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert internal_admin.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1 and delivery.last_error == REFUSED


def test_only_leaders_and_admins_make_station_wide_channels(make_user, client):
    """Station-wide and bureau channels are notify channels edited in the Django admin: only admins
    (is_staff) get there; officers and leaders only create broadcast-only liaison groups."""
    for role in (Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER):
        client.force_login(make_user(role))
        assert client.get("/admin/notify/channel/add/").status_code in (302, 403)
    client.force_login(make_user(Role.ADMIN))
    assert client.get("/admin/notify/channel/add/").status_code == 200
    assert client.get("/admin/notify/egressallow/add/").status_code == 200


def test_allow_list_entries_parse():
    assert str(egress.parse_entry("10.1.2.3/8")) == "10.0.0.0/8"
    assert egress.parse_entry("*.DingTalk.com") == "*.dingtalk.com"
    with pytest.raises(ValueError):
        egress.parse_entry("a..b")


@pytest.fixture
def tls_receiver(tmp_path):
    """An https server on 127.0.0.1 whose certificate (self-signed, our CA bundle) is for
    ``partner.example``; records the SNI name each connection asked for."""
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=partner.example", "-addext", "subjectAltName=DNS:partner.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = _Server()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.sni = []
    context.sni_callback = lambda sock, name, ctx: server.sni.append(name)
    server.httpd.daemon_threads = True
    server.httpd.block_on_close = False
    server.httpd.socket = context.wrap_socket(
        server.httpd.socket, server_side=True, do_handshake_on_connect=False
    )
    server.ca = str(cert)
    yield server
    server.close()


def test_https_keeps_the_name_for_sni_and_the_certificate(settings, fake_dns, tls_receiver):
    settings.QIANWAN_EGRESS_ALLOWED = ["partner.example", "wrong.example"]
    settings.QIANWAN_EGRESS_CA_BUNDLE = tls_receiver.ca
    answers, _calls = fake_dns
    answers["partner.example"] = ["127.0.0.1"]
    answers["wrong.example"] = ["127.0.0.1"]
    result = post_json(f"https://partner.example:{tls_receiver.port}/push", {"a": 1})
    assert result.ok, result
    assert tls_receiver.sni == ["partner.example"]
    assert tls_receiver.requests[0]["host"] == f"partner.example:{tls_receiver.port}"
    # the same address under a name the certificate is not for: refused by TLS, generic message
    result = post_json(f"https://wrong.example:{tls_receiver.port}/push", {"a": 1})
    assert not result.ok and result.error == CONNECT_FAILED and len(tls_receiver.requests) == 1
