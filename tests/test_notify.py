"""`outpost notify` against real peers on 127.0.0.1: an SMTP server, a webhook receiver, a hub."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from checks import require_tool
from conftest import SITE_YAML, MakeSite, run_outpost, write_files

from generator.notify import notify_site
from generator.notify.state import load_state

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET = "correct horse battery staple"
STATE = ".outpost-notified.json"
FEEDS = ("feed.atom", "feed.rss", "incidents/login/feed.atom", "components/api/feed.atom")
BASE = "https://status.example.com/"

INCIDENT_HEAD = """\
---
title: Login failures
impact: major
components: [API]
---
Some customers cannot log in.
"""
UPDATES = [
    "## 2026-11-29 09:05 UTC — Investigating\nWe are looking into it. See [the API page](../../components/api/).\n",
    "## 2026-11-29 10:40 UTC — Identified\nA **bad** deploy. Rolling back.\n",
    "## 2026-11-29 11:00 UTC — Monitoring\nThe rollback is done; we are watching.\n",
    "## 2026-11-29 11:20 UTC — Update\nStill watching.\n",
    "## 2026-11-29 11:30 UTC — Resolved\nLogins work again.\n",
]


def incident(count: int) -> str:
    """The incident with its first COUNT updates."""
    return INCIDENT_HEAD + "\n" + "\n".join(UPDATES[:count])


def update_id(index: int) -> str:
    time = UPDATES[index][3:19].replace(" ", "T") + ":00Z"
    return f"tag:status.example.com,2026-11-29:incidents/login/{time}"


# --- the peers -----------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on: aiosmtpd's Controller(port=0) fails its own readiness check."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mail:
    """A message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def id(self) -> str:
        return str(
            self.message["X-Outpost-Id"]
        ).strip()  # a long id is folded onto a line of its own


@dataclass
class MailHandler:
    """Accepts every message; ON_MAIL(accepted so far) may answer a MAIL FROM with a refusal."""

    messages: list[Mail] = field(default_factory=list)
    on_mail: Callable[[int], str | None] | None = None

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.on_mail and (reply := self.on_mail(len(self.messages))):
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[MailHandler, int]]:
    handler = MailHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@dataclass
class Call:
    """A request the receiver got, and the status it answered (0: it answered nothing)."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server recording every POST; answers with REPLIES[path] in turn, then 204."""

    url: str
    calls: list[Call] = field(default_factory=list)
    replies: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    on_request: Callable[[str], bool] | None = None  # True: hang up without answering
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivered(self, path: str) -> list[Call]:
        """The requests to PATH that were answered with a 2xx: delivered, as the sender sees it."""
        return [c for c in self.calls if c.path == path and 200 <= c.status < 300]

    def ids(self, path: str) -> list[str]:
        return [c.headers["x-outpost-id"] for c in self.delivered(path)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server: ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if found.on_request and found.on_request(self.path):
                with found.lock:
                    found.calls.append(Call(self.path, headers, body, 0))
                self.close_connection = True
                return
            with found.lock:
                queue = found.replies.get(self.path, [])
                status, extra = queue.pop(0) if queue else (204, {})
                found.calls.append(Call(self.path, headers, body, status))
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            reason = b"busy" if status >= 300 else b""
            self.send_header("Content-Length", str(len(reason)))
            self.end_headers()
            self.wfile.write(reason)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found = Receiver(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join()


# --- sites and runs ------------------------------------------------------------------------------


def notify_yaml(port: int, receiver: Receiver, extra: str = "") -> str:
    return f"""\
notify:
  email:
    smtp: 127.0.0.1:{port}
    security: none
    from: Example Status <status@example.com>
    to: [ada@example.com, bob@example.com]
    list_unsubscribe: https://example.com/unsubscribe
  webhooks:
    - url_env: SLACK_URL
      format: slack
      secret_env: HOOK_SECRET
    - url_env: STATUSPAGE_URL
      format: statuspage
    - url_env: DISCORD_URL
      format: discord
  websub_hub: {receiver.url}/hub
  retries: 2
  retry_delay: 0
{extra}"""


def environment(receiver: Receiver) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update(
        SLACK_URL=f"{receiver.url}/slack",
        STATUSPAGE_URL=f"{receiver.url}/statuspage",
        DISCORD_URL=f"{receiver.url}/discord",
        HOOK_SECRET=SECRET,
    )
    return env


@pytest.fixture
def peers(smtp: tuple[MailHandler, int], receiver: Receiver) -> Peers:
    return Peers(smtp[0], smtp[1], receiver)


@dataclass
class Peers:
    mail: MailHandler
    port: int
    web: Receiver

    def site_yaml(self, extra: str = "") -> str:
        return SITE_YAML + notify_yaml(self.port, self.web, extra)

    @property
    def env(self) -> dict[str, str]:
        return environment(self.web)

    def notify(self, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return run_outpost("notify", *args, cwd=site, env=self.env)

    def start(self, site: Path) -> subprocess.Popen[str]:
        """`outpost notify` in the background, for a test to kill it halfway."""
        return subprocess.Popen(
            [sys.executable, "-m", "generator", "notify"],
            cwd=site,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def started_site(make_site: MakeSite, peers: Peers, extra: str = "") -> Path:
    """A site with notifications and no updates yet, after its first `outpost notify`."""
    site = make_site({}, site_yaml=peers.site_yaml(extra))
    first = peers.notify(site)
    assert first.returncode == 0, first.stderr
    assert "nothing to notify" in first.stdout
    return site


def state_of(site: Path) -> dict[str, list[str]]:
    data = json.loads((site / STATE).read_text())
    channels: dict[str, list[str]] = data["channels"]
    return channels


CHANNELS = ("email", "webhook:SLACK_URL", "webhook:STATUSPAGE_URL", "webhook:DISCORD_URL", "websub")


@dataclass
class Killer:
    """A receiver's on_request that kills the run it started when it is asked for PATH."""

    path: str
    process: subprocess.Popen[str] | None = None

    def start(self, peers: Peers, site: Path) -> subprocess.Popen[str]:
        self.process = peers.start(site)
        return self.process

    def __call__(self, path: str) -> bool:
        if path != self.path or self.process is None:
            return False
        self.process.kill()  # as CI does on a timeout, or a machine going away
        self.process.wait()
        return True


def refuse_once(reply: str) -> Callable[[int], str | None]:
    """An on_mail that answers the first MAIL FROM with REPLY, and accepts every later one."""
    refused: list[int] = []

    def on_mail(accepted: int) -> str | None:
        if refused:
            return None
        refused.append(accepted)
        return reply

    return on_mail


# --- the whole story: five updates, five builds, runs repeated and interrupted -------------------


def test_five_updates_in_five_builds_make_five_messages_per_channel_whatever_is_repeated_or_interrupted(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    mail, web = peers.mail, peers.web
    steps = [
        ["new", "Login failures", "--impact", "major", "--component", "API", "-m", "Looking."],
        ["update", "login-failures", "identified", "-m", "A bad deploy."],
        ["update", "login-failures", "monitoring", "-m", "Rolled back."],
        ["update", "login-failures", "update", "-m", "Still watching."],
        ["resolve", "login-failures", "-m", "Logins work again."],
    ]
    for number, command in enumerate(steps, start=1):
        assert run_outpost(*command, cwd=site).returncode == 0
        build = run_outpost("build", cwd=site)
        assert build.returncode == 0, build.stderr
        if number == 2:
            # Statuspage's receiver is down for longer than the retries last: the run fails...
            web.replies["/statuspage"] = [(503, {})] * 3
            failed = peers.notify(site)
            assert failed.returncode == 1
            assert "webhook STATUSPAGE_URL: 'Identified: Login failures'" in failed.stderr
            assert "HTTP 503 Service Unavailable: busy (3 attempts)" in failed.stderr
        if number == 3:
            # ...the process dies in the middle of a run, after email and Slack, before Discord...
            killer = Killer("/discord")
            web.on_request = killer
            assert killer.start(peers, site).wait(timeout=60) == -9
            web.on_request = None
        if number == 4:
            # ...the SMTP server turns one message away for now: retried within the run.
            mail.on_mail = refuse_once("421 Try again later")
        result = peers.notify(site)
        assert result.returncode == 0, result.stderr
        mail.on_mail = None
        again = peers.notify(site)
        assert again.returncode == 0, again.stderr
        assert "nothing to notify" in again.stdout
        assert len(mail.messages) == number
    ids = [m.id for m in mail.messages]
    assert len(set(ids)) == 5
    assert [m.message["Subject"] for m in mail.messages] == [
        "[Example Status] Investigating: Login failures",
        "[Example Status] Identified: Login failures",
        "[Example Status] Monitoring: Login failures",
        "[Example Status] Update: Login failures",
        "[Example Status] Resolved: Login failures",
    ]
    for path in ("/slack", "/statuspage", "/discord"):
        assert web.ids(path) == ids, path
    # The killed run's Discord request never got an answer: it was sent again, with the same id
    # (X-Outpost-Id), by which a receiver that had acted on it could recognise it.
    (unanswered,) = [c for c in web.calls if c.status == 0]
    assert (unanswered.path, unanswered.headers["x-outpost-id"]) == ("/discord", ids[2])
    pings = [parse_qs(c.body.decode())["hub.url"][0] for c in web.delivered("/hub")]
    slug = next((site / "content/incidents").glob("*.md")).stem
    feeds = [BASE + f.replace("login", slug) for f in FEEDS]
    assert pings == feeds * 5
    assert all(state_of(site)[channel] == ids for channel in CHANNELS)
    assert f'<link href="{web.url}/hub" rel="hub"/>' in (site / "public/feed.atom").read_text()


# --- email ---------------------------------------------------------------------------------------


def test_each_update_is_one_email_to_every_address_in_bcc_with_a_text_and_an_html_part(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(2)})
    result = peers.notify(site)
    assert result.returncode == 0, result.stderr
    first, second = peers.mail.messages
    assert first.mail_from == "status@example.com"
    assert first.rcpt_tos == ["ada@example.com", "bob@example.com"]
    message = first.message
    assert message["Subject"] == "[Example Status] Investigating: Login failures"
    assert message["From"] == "Example Status <status@example.com>"
    # Nobody sees another recipient: To shows the sender, and the Bcc header is not sent.
    assert message["To"] == "Example Status <status@example.com>"
    assert message["Bcc"] is None
    assert "ada@example.com" not in message.as_string()
    assert message["List-Unsubscribe"] == "<https://example.com/unsubscribe>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Outpost-Id"].strip() == update_id(0)
    # The second update follows on from the first, in mail clients that thread.
    assert second.message["In-Reply-To"] == message["Message-ID"]
    assert second.message["References"] == message["Message-ID"]
    assert message["In-Reply-To"] is None

    plain, markup = parts(message)
    for part in (plain, markup):
        assert "We are looking into it." in part
        assert f"{BASE}incidents/login/#update-20261129T090500Z" in part
        assert f"{BASE}feed.atom" in part and f"{BASE}feed.rss" in part
        assert f"{BASE}incidents/login/feed.atom" in part
        assert f"{BASE}components/api/" in part  # the update's relative link, made absolute
        assert "https://example.com/unsubscribe" in part
    assert '<a href="https://status.example.com/components/api/">the API page</a>' in markup
    plain, markup = parts(second.message)
    assert "A **bad** deploy." in plain
    assert "A <strong>bad</strong> deploy." in markup


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of MESSAGE."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert message.get_content_type() == "multipart/alternative"
    return str(text.get_content()), str(html.get_content())


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_one_address_is_shown_in_to_and_a_login_is_used_when_configured(
    make_site: MakeSite,
) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"hunter2", handled=False)

    handler = MailHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
        auth_required=True,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    try:
        site = make_site(
            {"content/incidents/login.md": incident(1)},
            site_yaml=SITE_YAML
            + f"""\
notify:
  email:
    smtp: 127.0.0.1:{port}
    security: none
    username_env: SMTP_USER
    password_env: SMTP_PASSWORD
    from: status@example.com
    to: customers@lists.example.com
  state: .state/notified.json
  timeout: 10
""",
        )
        env = {"SMTP_USER": "outpost", "SMTP_PASSWORD": "wrong"}
        assert notify_site(site, NOW, env, baseline=True).ok
        write_files(site, {"content/incidents/login.md": incident(2)})
        refused = notify_site(site, NOW, env, report=lambda _: None)
        assert [str(p) for p in refused.problems] == [
            "site.yaml:13: error: email: 'Identified: Login failures' "
            f"({update_id(1)}) not sent: login refused: 535 5.7.8 Authentication credentials invalid"
        ]
        assert handler.messages == []
        result = notify_site(site, NOW, {**env, "SMTP_PASSWORD": "hunter2"}, report=lambda _: None)
        assert result.ok, result.problems
    finally:
        controller.stop()
    assert logins == [(b"outpost", b"wrong"), (b"outpost", b"hunter2")]
    (mail,) = handler.messages
    assert mail.message["To"] == "customers@lists.example.com"
    assert mail.rcpt_tos == ["customers@lists.example.com"]
    assert json.loads((site / ".state/notified.json").read_text())["channels"]["email"] == [
        update_id(0),
        update_id(1),
    ]


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    require_tool("openssl", shutil.which("openssl") is not None)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_over_tls_and_a_certificate_that_does_not_verify_stops_it(
    make_site: MakeSite, certificate: tuple[Path, Path], security: str
) -> None:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    handler, port = MailHandler(), free_port()
    if security == "starttls":
        # MAIL FROM before STARTTLS is refused: a delivered message went over TLS.
        options: dict[str, Any] = {"tls_context": context, "require_starttls": True}
    else:
        options = {"ssl_context": context}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        site = make_site(
            {"content/incidents/login.md": incident(1)},
            site_yaml=SITE_YAML
            + f"""\
notify:
  email:
    smtp: 127.0.0.1:{port}
    security: {security}
    from: status@example.com
    to: customers@lists.example.com
  retry_delay: 0
""",
        )
        assert run_outpost("notify", "--baseline", cwd=site).returncode == 0
        write_files(site, {"content/incidents/login.md": incident(2)})
        env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        untrusted = run_outpost("notify", cwd=site, env=env)
        assert untrusted.returncode == 1
        assert "not sent: the server's certificate is not valid: " in untrusted.stderr
        assert "attempts" not in untrusted.stderr  # not worth another try
        assert handler.messages == []
        trusted = run_outpost("notify", cwd=site, env={**env, "SSL_CERT_FILE": str(cert)})
        assert trusted.returncode == 0, trusted.stderr
    finally:
        controller.stop()
    assert [m.id for m in handler.messages] == [update_id(1)]


def test_a_run_killed_halfway_and_resumed_sends_each_email_exactly_once(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(5)})
    run = peers.start(site)

    def kill_at_third(accepted: int) -> str | None:
        if accepted == 2:
            run.kill()  # as CI would on a timeout, or a machine going away
            run.wait()
            return "421 Going away"
        return None

    peers.mail.on_mail = kill_at_third
    run.wait(timeout=60)
    assert run.returncode == -9
    assert [m.id for m in peers.mail.messages] == [update_id(0), update_id(1)]
    assert state_of(site)["email"] == [update_id(0), update_id(1)]
    assert not state_of(site)["webhook:SLACK_URL"]
    peers.mail.on_mail = None
    resumed = peers.notify(site)
    assert resumed.returncode == 0, resumed.stderr
    assert [m.id for m in peers.mail.messages] == [update_id(i) for i in range(5)]
    assert peers.web.ids("/slack") == [update_id(i) for i in range(5)]
    assert [p.name for p in site.iterdir() if p.name.startswith(".")] == [STATE]


def test_an_smtp_server_that_hangs_up_is_retried_and_nothing_is_sent_twice(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(3)})
    lines: list[str] = []
    sleeps: list[float] = []
    attempts = iter(range(10))

    def flaky(accepted: int) -> str | None:
        # Refuse the second message twice, then accept it.
        return "421 Busy" if accepted == 1 and next(attempts) < 2 else None

    peers.mail.on_mail = flaky
    result = notify_site(site, NOW, peers.env, report=lines.append, sleep=sleeps.append)
    assert result.ok, result.problems
    assert [m.id for m in peers.mail.messages] == [update_id(i) for i in range(3)]
    assert sleeps == [0.0, 0.0]  # retry_delay: 0
    assert "email: SMTP: 421 Busy; trying again in 0 s (attempt 2 of 3)" in lines


# --- webhooks ------------------------------------------------------------------------------------


def test_webhook_payloads_have_each_services_shape_and_the_signature_verifies(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(2)})
    assert peers.notify(site).returncode == 0
    slack, second = peers.web.delivered("/slack")
    assert slack.headers["content-type"] == "application/json; charset=utf-8"
    expected = hmac.new(SECRET.encode(), slack.body, hashlib.sha256).hexdigest()
    assert slack.headers["x-outpost-signature"] == f"sha256={expected}"
    assert "x-outpost-signature" not in peers.web.delivered("/discord")[0].headers
    payload = slack.json()
    assert payload["text"].startswith("Investigating: Login failures – Example Status: <https://")
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "context"]
    assert payload["blocks"][0]["text"] == {
        "type": "plain_text",
        "text": "Investigating: Login failures",
    }
    assert (
        "<https://status.example.com/components/api/|the API page>"
        in (payload["blocks"][1]["text"]["text"])
    )
    assert "A *bad* deploy." in second.json()["blocks"][1]["text"]["text"]

    (embed,) = peers.web.delivered("/discord")[0].json()["embeds"]
    assert embed["title"] == "Investigating: Login failures"
    assert embed["url"].startswith(f"{BASE}incidents/login/#")
    assert embed["timestamp"] == "2026-11-29T09:05:00Z"
    assert peers.web.delivered("/discord")[0].json()["allowed_mentions"] == {"parse": []}

    hook = peers.web.delivered("/statuspage")[0].json()
    assert set(hook) == {"meta", "page", "incident"}
    assert hook["page"]["status_indicator"] == "major"
    incident_object = hook["incident"]
    assert incident_object["name"] == "Login failures"
    assert incident_object["status"] == "investigating"
    # As the incident was right after the update: later updates are not in it.
    assert [u["status"] for u in incident_object["incident_updates"]] == ["investigating"]
    later = peers.web.delivered("/statuspage")[1].json()["incident"]
    assert [u["status"] for u in later["incident_updates"]] == ["identified", "investigating"]


def test_a_webhook_is_retried_after_a_503_and_after_a_429_with_retry_after(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(2)})
    peers.web.replies["/slack"] = [(503, {}), (429, {"Retry-After": "7"})]
    peers.web.replies["/discord"] = [(429, {"Retry-After": "2"})]
    sleeps: list[float] = []
    lines: list[str] = []
    result = notify_site(site, NOW, peers.env, report=lines.append, sleep=sleeps.append)
    assert result.ok, result.problems
    assert sleeps == [0.0, 7.0, 2.0]  # retry_delay 0, then what each Retry-After asked for
    assert [c.status for c in peers.web.calls if c.path == "/slack"] == [503, 429, 204, 204]
    assert peers.web.ids("/slack") == [update_id(0), update_id(1)]
    assert peers.web.ids("/discord") == [update_id(0), update_id(1)]
    assert (
        "webhook SLACK_URL: HTTP 429 Too Many Requests: busy; trying again in 7 s (attempt 3 of 3)"
        in lines
    )


def test_a_webhook_that_keeps_failing_is_given_up_with_a_clear_error_and_the_state_intact(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(3)})
    peers.web.replies["/statuspage"] = [(204, {})] + [(503, {})] * 3
    result = peers.notify(site)
    assert result.returncode == 1
    assert (
        "site.yaml:23: error: webhook STATUSPAGE_URL: 'Identified: Login failures' "
        f"({update_id(1)}) not sent: HTTP 503 Service Unavailable: busy (3 attempts); "
        "1 later update held back, to keep the order\n"
    ) in result.stderr
    assert "2 messages left unsent: run again to send them" in result.stderr
    assert "Traceback" not in result.stderr
    assert state_of(site)["webhook:STATUSPAGE_URL"] == [update_id(0)]
    # Every other channel got all three.
    assert len(peers.mail.messages) == 3
    assert peers.web.ids("/slack") == peers.web.ids("/discord") == [update_id(i) for i in range(3)]
    resumed = peers.notify(site)
    assert resumed.returncode == 0, resumed.stderr
    assert peers.web.ids("/statuspage") == [update_id(i) for i in range(3)]
    assert len(peers.mail.messages) == 3


def test_a_retry_after_longer_than_a_run_waits_leaves_the_message_for_the_next_run(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(1)})
    peers.web.replies["/discord"] = [(429, {"Retry-After": "3600"})]
    sleeps: list[float] = []
    result = notify_site(site, NOW, peers.env, report=lambda _: None, sleep=sleeps.append)
    assert sleeps == []
    (problem,) = result.problems
    assert problem.message.endswith(
        "not sent: HTTP 429 Too Many Requests: busy; asked to wait 3600 s, longer than this run waits (60 s)"
    )


def test_a_rejected_webhook_is_not_retried_and_the_error_shows_what_the_service_said(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(1)})
    peers.web.replies["/slack"] = [(404, {})]
    result = peers.notify(site)
    assert result.returncode == 1
    assert "webhook SLACK_URL: 'Investigating: Login failures'" in result.stderr
    assert (
        "not sent: HTTP 404 Not Found: busy (" not in result.stderr
    )  # no attempts: it was not retried
    assert "not sent: HTTP 404 Not Found: busy\n" in result.stderr
    assert [c.status for c in peers.web.calls if c.path == "/slack"] == [404]
    assert "/slack" not in result.stderr  # a webhook's URL is a secret


def test_a_missing_environment_variable_is_an_error_naming_it_and_other_channels_still_send(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(1)})
    env = {k: v for k, v in peers.env.items() if k not in ("DISCORD_URL", "HOOK_SECRET")}
    result = run_outpost("notify", cwd=site, env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        "site.yaml:20: error: webhook SLACK_URL: $HOOK_SECRET is not set: 1 update left unsent",
        "site.yaml:25: error: webhook DISCORD_URL: $DISCORD_URL is not set: 1 update left unsent",
    ]
    assert peers.web.delivered("/slack") == []  # never unsigned when a secret is configured
    assert len(peers.mail.messages) == 1
    assert len(peers.web.delivered("/statuspage")) == 1


def test_each_message_is_recorded_before_the_next_is_sent_and_the_state_reads_at_any_time(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(5)})
    seen: list[dict[str, list[str]]] = []
    broken: list[Exception] = []

    def read_state(path: str) -> bool:
        """Read the state while the run waits for this request's answer."""
        try:
            seen.append(state_of(site))
        except (OSError, ValueError) as exc:  # missing, or half-written
            broken.append(exc)
        return False

    peers.web.on_request = read_state
    assert peers.notify(site).returncode == 0
    assert broken == []
    assert len(seen) == 5 * 3 + 4
    slack = [len(s["webhook:SLACK_URL"]) for s in seen[:5]]
    assert slack == [0, 1, 2, 3, 4]


# --- WebSub --------------------------------------------------------------------------------------


def test_the_hub_is_pinged_once_per_changed_feed_and_the_feeds_name_it(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(3)})
    assert run_outpost("build", cwd=site).returncode == 0
    assert peers.notify(site).returncode == 0
    pings = peers.web.delivered("/hub")
    assert all(p.headers["content-type"] == "application/x-www-form-urlencoded" for p in pings)
    forms = [parse_qs(p.body.decode(), strict_parsing=True) for p in pings]
    assert forms == [{"hub.mode": ["publish"], "hub.url": [BASE + feed]} for feed in FEEDS]
    hub = f"{peers.web.url}/hub"
    for path in FEEDS:
        feed = (site / "public" / path).read_text()
        tag = "atom:link" if path.endswith(".rss") else "link"
        assert f'<{tag} href="{hub}" rel="hub"/>' in feed


# --- first runs, baselines, dry runs -------------------------------------------------------------


def test_a_first_run_on_a_site_with_history_refuses_until_baseline_then_sends_only_new_updates(
    make_site: MakeSite, peers: Peers
) -> None:
    site = make_site({"content/incidents/login.md": incident(3)}, site_yaml=peers.site_yaml())
    refused = peers.notify(site)
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "site.yaml:12: error: no record of what was notified: .outpost-notified.json does not "
        "exist, and sending now would send all 3 published updates. On a first run, run "
        "'outpost notify --baseline'"
    )
    assert not (site / STATE).exists()
    baseline = peers.notify(site, "--baseline")
    assert baseline.returncode == 0, baseline.stderr
    assert "recorded 3 updates as notified without sending" in baseline.stdout
    assert all(state_of(site)[c] == [update_id(i) for i in range(3)] for c in CHANNELS)
    write_files(site, {"content/incidents/login.md": incident(4)})
    assert peers.notify(site).returncode == 0
    assert [m.id for m in peers.mail.messages] == [update_id(3)]
    assert peers.web.ids("/slack") == [update_id(3)]
    assert len(peers.web.delivered("/hub")) == len(FEEDS)


def test_a_dry_run_says_what_would_be_sent_and_to_whom_and_changes_nothing(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    write_files(site, {"content/incidents/login.md": incident(2)})
    before = (site / STATE).read_bytes()
    env = {k: v for k, v in peers.env.items() if k != "DISCORD_URL"}
    result = run_outpost("notify", "--dry-run", cwd=site, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "would send email to 2 addresses in Bcc (ada@example.com, bob@example.com): "
        "[Example Status] Investigating: Login failures",
        "would send email to 2 addresses in Bcc (ada@example.com, bob@example.com): "
        "[Example Status] Identified: Login failures",
        "would send webhook SLACK_URL (slack, signed): Investigating: Login failures",
        "would send webhook SLACK_URL (slack, signed): Identified: Login failures",
        "would send webhook STATUSPAGE_URL (statuspage): Investigating: Login failures",
        "would send webhook STATUSPAGE_URL (statuspage): Identified: Login failures",
        "would send webhook DISCORD_URL (discord): Investigating: Login failures",
        "would send webhook DISCORD_URL (discord): Identified: Login failures",
        f"would send WebSub hub {peers.web.url}/hub: ping "
        + ", ".join(BASE + f for f in FEEDS)
        + " (Investigating: Login failures)",
        f"would send WebSub hub {peers.web.url}/hub: ping "
        + ", ".join(BASE + f for f in FEEDS)
        + " (Identified: Login failures)",
        "dry run: would send 10 messages for 2 updates; nothing sent, nothing written",
    ]
    assert (
        result.stderr
        == "site.yaml:25: warning: webhook DISCORD_URL: $DISCORD_URL is not set here\n"
    )
    assert (site / STATE).read_bytes() == before
    assert peers.mail.messages == [] and peers.web.calls == []
    dry_baseline = peers.notify(site, "--dry-run", "--baseline")
    assert (
        dry_baseline.stdout
        == "dry run: would record 2 updates as notified without sending; nothing written\n"
    )
    assert (site / STATE).read_bytes() == before


def test_a_channel_added_later_starts_with_the_next_update_not_the_history(
    make_site: MakeSite, peers: Peers
) -> None:
    site = make_site({"content/incidents/login.md": incident(2)}, site_yaml=peers.site_yaml())
    assert peers.notify(site, "--baseline").returncode == 0
    (site / "site.yaml").write_text(
        peers.site_yaml().replace(
            "  websub_hub:", "    - url_env: TEAMS_URL\n      format: teams\n  websub_hub:"
        )
    )
    write_files(site, {"content/incidents/login.md": incident(3)})
    env = {**peers.env, "TEAMS_URL": f"{peers.web.url}/teams"}
    result = run_outpost("notify", cwd=site, env=env)
    assert result.returncode == 0, result.stderr
    assert (
        "webhook TEAMS_URL: new channel: starts after the 2 updates already notified"
        in result.stdout
    )
    assert peers.web.ids("/teams") == [update_id(2)]
    card = peers.web.delivered("/teams")[0].json()
    assert card["type"] == "message"
    assert card["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["attachments"][0]["content"]["actions"][0]["url"].startswith(f"{BASE}incidents/")


def test_updates_go_out_oldest_first_across_posts_and_drafts_wait_until_published(
    make_site: MakeSite, peers: Peers
) -> None:
    site = started_site(make_site, peers)
    other = """\
        ---
        title: Slow dashboard
        {draft}
        ---
        ## 2026-11-29 09:30 UTC — Investigating
        Slow.

        ## 2026-11-29 11:10 UTC — Resolved
        Fast again.
        """
    write_files(
        site,
        {
            "content/incidents/login.md": incident(3),
            "content/incidents/slow.md": other.format(draft="draft: true"),
        },
    )
    assert peers.notify(site).returncode == 0
    assert [m.message["Subject"].split("] ")[1] for m in peers.mail.messages] == [
        "Investigating: Login failures",
        "Identified: Login failures",
        "Monitoring: Login failures",
    ]
    write_files(site, {"content/incidents/slow.md": other.format(draft="")})
    assert peers.notify(site).returncode == 0
    assert [m.message["Subject"].split("] ")[1] for m in peers.mail.messages][3:] == [
        "Investigating: Slow dashboard",
        "Resolved: Slow dashboard",
    ]


# --- the state file ------------------------------------------------------------------------------


def test_a_write_that_fails_halfway_leaves_the_old_state_and_no_stray_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / STATE
    state = load_state(path, STATE)
    state.record("email", "tag:a")
    before = path.read_bytes()

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        state.record("email", "tag:b")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [STATE]
    monkeypatch.undo()
    state.record("email", "tag:b")
    assert load_state(path, STATE).channels == {"email": ["tag:a", "tag:b"]}
