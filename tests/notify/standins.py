"""Loopback stand-ins for the services a person is reached by: DingTalk's and WeCom's corporate
application APIs (with their access-token step), an SMS gateway, and an SMTP server. Each checks the
request shape the real service requires and records what it received."""

import asyncore  # noqa: F401  (smtpd's loop; Python 3.11 still ships both)
import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import smtpd

APP_KEY, APP_SECRET, CORP_ID, CORP_SECRET, SMS_TOKEN = "dk-key", "dk-secret", "wwcorp", "wc-secret", "sms-tok"


class CorporateApis:
    """DingTalk, WeCom and the SMS gateway on one loopback server (their base URLs are settings)."""

    def __init__(self):
        stand_in = self
        self.tokens_issued: list[str] = []
        self.messages: list[dict] = []
        self.refused: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, body):
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/cgi-bin/gettoken":
                    if query.get("corpid") != CORP_ID or query.get("corpsecret") != CORP_SECRET:
                        return self._answer(200, {"errcode": 40001, "errmsg": "invalid credential"})
                    token = f"wc-{len(stand_in.tokens_issued)}"
                    stand_in.tokens_issued.append(token)
                    return self._answer(200, {"errcode": 0, "access_token": token, "expires_in": 7200})
                return self._answer(404, {"errcode": 404})

            def do_POST(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw or b"null")
                if parts.path == "/v1.0/oauth2/accessToken":
                    if body != {"appKey": APP_KEY, "appSecret": APP_SECRET}:
                        return self._answer(400, {"code": "invalidClientIdOrSecret"})
                    token = f"dk-{len(stand_in.tokens_issued)}"
                    stand_in.tokens_issued.append(token)
                    return self._answer(200, {"accessToken": token, "expireIn": 7200})
                if parts.path in ("/topapi/message/corpconversation/asyncsend_v2", "/cgi-bin/message/send"):
                    if query.get("access_token") not in stand_in.tokens_issued:
                        stand_in.refused.append(parts.path)
                        return self._answer(200, {"errcode": 40014, "errmsg": "invalid access_token"})
                    dingtalk = parts.path.startswith("/topapi")
                    shape = (
                        {"agent_id", "userid_list", "msg"} <= set(body) and body["msg"]["msgtype"] == "text"
                        if dingtalk
                        else {"touser", "agentid", "msgtype", "text"} <= set(body)
                        and body["msgtype"] == "text"
                    )
                    if not shape:
                        return self._answer(200, {"errcode": 40008, "errmsg": "invalid message"})
                    text = body["msg"]["text"]["content"] if dingtalk else body["text"]["content"]
                    to = body["userid_list"] if dingtalk else body["touser"]
                    kind = "dingtalk" if dingtalk else "wecom"
                    stand_in.messages.append(
                        {"kind": kind, "to": to, "text": text, "headers": dict(self.headers)}
                    )
                    return self._answer(
                        200, {"errcode": 0, "errmsg": "ok", "task_id": len(stand_in.messages)}
                    )
                if parts.path == "/sms":
                    if self.headers.get("Authorization") != f"Bearer {SMS_TOKEN}" or set(body) != {
                        "mobile",
                        "content",
                    }:
                        return self._answer(401, {"error": "unauthorised"})
                    stand_in.messages.append({"kind": "sms", "to": body["mobile"], "text": body["content"]})
                    return self._answer(200, {"status": "queued"})
                return self._answer(404, {"errcode": 404})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def configure(self, settings) -> None:
        settings.DINGTALK_API_URL = self.url
        settings.DINGTALK_OAUTH_URL = f"{self.url}/v1.0/oauth2/accessToken"
        settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET, settings.DINGTALK_AGENT_ID = (
            APP_KEY,
            APP_SECRET,
            "9001",
        )
        settings.WECOM_API_URL = self.url
        settings.WECOM_CORP_ID, settings.WECOM_CORP_SECRET, settings.WECOM_AGENT_ID = (
            CORP_ID,
            CORP_SECRET,
            "1000002",
        )
        settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = f"{self.url}/sms", SMS_TOKEN

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpStandIn(smtpd.SMTPServer):
    """An SMTP server on loopback that keeps the messages it receives."""

    def __init__(self):
        self.received: list[dict] = []
        super().__init__(("127.0.0.1", 0), None, decode_data=True)
        self.port = self.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=asyncore.loop, kwargs={"timeout": 0.1, "map": self._map}, daemon=True
        )
        self._thread.start()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.received.append({"from": mailfrom, "to": rcpttos, "data": data})

    def stop(self):
        self.close()
