"""site.yaml's `notify:` section → NotifyConfig, every problem at once, each on its line."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.config import CONFIG_FILE, read_site_yaml
from generator.problems import Problem, error, one_of, sort_problems, suggest
from generator.yamlsrc import Located

NOTIFY_KEYS = ("email", "webhooks", "websub_hub", "state", "retries", "retry_delay", "timeout")
EMAIL_KEYS = (
    "smtp",
    "security",
    "username_env",
    "password_env",
    "from",
    "to",
    "list_unsubscribe",
)
WEBHOOK_KEYS = ("url_env", "format", "secret_env", "name")
SECURITIES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
FORMATS = ("slack", "discord", "teams", "statuspage")
DEFAULT_STATE = ".outpost-notified.json"
# Keys people write when they mean the *_env one: the value itself would be a committed secret.
SECRET_KEYS = {
    "url": "url_env",
    "secret": "secret_env",
    "password": "password_env",
    "username": "username_env",
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST_PORT = re.compile(
    r"^(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+))(?::(?P<port>\d+))?$"
)

Bad = Callable[[tuple[str | int, ...], str], None]


@dataclass(frozen=True)
class EmailSettings:
    """Where and how to send email: one message per update, the recipients in Bcc."""

    host: str
    port: int
    security: str
    username_env: str
    password_env: str
    sender: str
    to: tuple[str, ...]
    list_unsubscribe: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class WebhookSettings:
    """One webhook: the environment variable holding its URL, and the payload's shape."""

    name: str
    url_env: str
    format: str
    secret_env: str
    line: int


@dataclass(frozen=True)
class NotifyConfig:
    """The `notify:` section, checked."""

    line: int
    email: EmailSettings | None = None
    webhooks: tuple[WebhookSettings, ...] = ()
    websub_hub: str = ""
    websub_line: int = 0
    state: str = DEFAULT_STATE
    retries: int = 3
    retry_delay: float = 2.0
    timeout: float = 30.0

    def state_path(self, site_dir: Path) -> Path:
        """The state file: STATE relative to the site folder, unless it is absolute."""
        return site_dir / Path(self.state).expanduser()


def load_notify_config(site_dir: Path) -> tuple[NotifyConfig | None, list[Problem]]:
    """The `notify:` section of SITE_DIR/site.yaml; None when there is none or it has errors."""
    doc, problems = read_site_yaml(site_dir)
    if doc is None:
        return None, problems
    return check_notify(doc)


def notify_problems(site_dir: Path) -> list[Problem]:
    """The problems of the `notify:` section, for `outpost check`."""
    return load_notify_config(site_dir)[1]


def check_notify(doc: Located) -> tuple[NotifyConfig | None, list[Problem]]:
    """The `notify:` section of the parsed site.yaml DOC."""
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], message: str) -> None:
        problems.append(error(CONFIG_FILE, doc.line("notify", *path), message))

    data = doc.data.get("notify") if isinstance(doc.data, dict) else None
    if data is None:
        return None, []
    if not isinstance(data, dict):
        bad((), "notify must be a mapping with email, webhooks or websub_hub")
        return None, problems
    _unknown_keys(data, (), NOTIFY_KEYS, bad)
    email = _email(data["email"], doc, bad) if data.get("email") is not None else None
    webhooks = _webhooks(data.get("webhooks"), doc, bad)
    hub = _text(data.get("websub_hub"))
    if "websub_hub" in data and not _is_http_url(hub):
        bad(("websub_hub",), f"notify.websub_hub must be an http or https URL; got '{hub}'")
    state = _text(data.get("state")) or DEFAULT_STATE
    if "state" in data and not _text(data.get("state")):
        bad(("state",), "notify.state must be a file path, such as .outpost-notified.json")
    if not any(data.get(key) for key in ("email", "webhooks", "websub_hub")):
        bad((), "notify names no channel: add email, webhooks or websub_hub")
    config = NotifyConfig(
        line=doc.line("notify"),
        email=email,
        webhooks=webhooks,
        websub_hub=hub,
        websub_line=doc.line("notify", "websub_hub"),
        state=state,
        retries=int(_number(data, "retries", 3, bad, whole=True)),
        retry_delay=_number(data, "retry_delay", 2.0, bad),
        timeout=_number(data, "timeout", 30.0, bad, smallest=0.001),
    )
    return (None if problems else config), sort_problems(problems)


def _email(value: Any, doc: Located, bad: Bad) -> EmailSettings | None:
    if not isinstance(value, dict):
        bad(("email",), "notify.email must be a mapping with smtp, from and to")
        return None
    count = _Counter(bad)
    _unknown_keys(value, ("email",), EMAIL_KEYS, count)
    host, port, security = _server(value, count)
    username_env = _env_name(value, ("email",), "username_env", count)
    password_env = _env_name(value, ("email",), "password_env", count)
    if ("username_env" in value) != ("password_env" in value):
        count(("email",), "notify.email needs both username_env and password_env, or neither")
    sender, to = _sender_and_recipients(value, count)
    unsubscribe = _list_of_text(value.get("list_unsubscribe"))
    for link in unsubscribe:
        if not (_is_http_url(link) or link.startswith("mailto:")):
            count(
                ("email", "list_unsubscribe"),
                f"notify.email.list_unsubscribe must be an http(s) or mailto: URL; got '{link}'",
            )
    if count.found:
        return None
    return EmailSettings(
        host=host,
        port=port,
        security=security,
        username_env=username_env,
        password_env=password_env,
        sender=sender,
        to=tuple(to),
        list_unsubscribe=tuple(unsubscribe),
        line=doc.line("notify", "email"),
    )


def _server(value: dict[Any, Any], bad: Bad) -> tuple[str, int, str]:
    """The SMTP server's host, port and security."""
    security = _text(value.get("security")) or "starttls"
    if security not in SECURITIES:
        message = f"notify.email.security must be {one_of(SECURITIES)}; got '{security}'"
        bad(("email", "security"), message)
        security = "starttls"
    host, port = _host_port(_text(value.get("smtp")), security, bad)
    if host and security == "none" and not _is_loopback(host):
        bad(
            ("email", "security"),
            "notify.email.security: none sends passwords and mail in clear text: "
            f"use starttls or tls for {host} (none is only for a relay on this machine)",
        )
    return host, port, security


def _sender_and_recipients(value: dict[Any, Any], bad: Bad) -> tuple[str, list[str]]:
    sender = _text(value.get("from"))
    if not sender:
        bad(
            ("email",), "notify.email.from is required, such as 'Acme Status <status@acme.example>'"
        )
    elif len(_addresses([sender])) != 1:
        bad(("email", "from"), f"notify.email.from must be one email address; got '{sender}'")
    to = _list_of_text(value.get("to"))
    if not to:
        bad(("email",), "notify.email.to is required: an address or a list of addresses")
    for index, address in enumerate(to):
        if len(_addresses([address])) != 1:
            where = ("email", "to", index) if isinstance(value.get("to"), list) else ("email", "to")
            bad(where, f"notify.email.to: '{address}' is not one email address")
    return sender, to


def _webhooks(value: Any, doc: Located, bad: Bad) -> tuple[WebhookSettings, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        bad(("webhooks",), "notify.webhooks must be a list of '- url_env: NAME' items")
        return ()
    found: list[WebhookSettings] = []
    names: dict[str, int] = {}
    for index, item in enumerate(value):
        here: tuple[str | int, ...] = ("webhooks", index)
        if not isinstance(item, dict):
            bad(here, "a webhook must be a mapping, such as '- url_env: SLACK_WEBHOOK_URL'")
            continue
        count = _Counter(bad)
        _unknown_keys(item, here, WEBHOOK_KEYS, count)
        url_env = _env_name(item, here, "url_env", count)
        if not url_env and "url_env" not in item:
            count(here, "a webhook needs url_env: the environment variable that holds its URL")
        form = _text(item.get("format"))
        if not form:
            count(here, f"a webhook needs a format: {one_of(FORMATS)}")
        elif form not in FORMATS:
            count((*here, "format"), f"a webhook's format must be {one_of(FORMATS)}; got '{form}'")
        secret_env = _env_name(item, here, "secret_env", count)
        name = _text(item.get("name")) or url_env
        line = doc.line("notify", *here)
        if name and name in names:
            count((*here,), f"webhook '{name}' is configured twice (first on line {names[name]}): "
                  "give each a different name")  # fmt: skip
        names.setdefault(name, line)
        if not count.found:
            found.append(WebhookSettings(name, url_env, form, secret_env, line))
    return tuple(found)


class _Counter:
    """Passes problems on to BAD and remembers whether there were any."""

    def __init__(self, bad: Bad) -> None:
        self.bad = bad
        self.found = 0

    def __call__(self, path: tuple[str | int, ...], message: str) -> None:
        self.found += 1
        self.bad(path, message)


def _unknown_keys(
    mapping: dict[Any, Any], path: tuple[str | int, ...], known: tuple[str, ...], bad: Bad
) -> None:
    prefix = ".".join(["notify", *(p for p in path if isinstance(p, str))])
    for key in mapping:
        name = str(key)
        if name in known:
            continue
        hint = suggest(name, known)
        if name in SECRET_KEYS and SECRET_KEYS[name] in known:
            hint = (
                f": secrets never go in site.yaml; put the value in an environment variable "
                f"(a CI secret), name it in {SECRET_KEYS[name]}, and remove this one from the "
                "repository's history"
            )
        bad((*path, name), f"unknown key '{prefix}.{name}'{hint}")


def _env_name(value: dict[Any, Any], here: tuple[str | int, ...], key: str, bad: Bad) -> str:
    name = _text(value.get(key))
    if key in value and not _ENV_NAME.match(name):
        bad(
            (*here, key),
            f"{key} must name an environment variable, such as OUTPOST_SECRET; got '{name}'",
        )
        return ""
    return name


def _host_port(text: str, security: str, bad: Bad) -> tuple[str, int]:
    match = _HOST_PORT.match(text)
    port = int(match["port"]) if match and match["port"] else DEFAULT_PORTS[security]
    if not match or not 0 < port < 65536:
        expected = "notify.email.smtp must be HOST:PORT, such as smtp.acme.example:587"
        bad(("email", "smtp"), f"{expected}; got '{text}'" if text else expected)
        return "", 0
    return match["ip6"] or match["host"], port


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _addresses(values: list[str]) -> list[Address]:
    """The addresses in VALUES; an empty list when one of them cannot be read."""
    found = []
    for name, address in getaddresses(values):
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            return []
        found.append(Address(display_name=name, addr_spec=address))
    return found


def _is_http_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _number(
    data: dict[Any, Any],
    key: str,
    default: float,
    bad: Bad,
    *,
    whole: bool = False,
    smallest: float = 0,
) -> float:
    value = data.get(key, default)
    kind = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or value < smallest:
        what = "a whole number" if whole else "a number of seconds"
        bad((key,), f"notify.{key} must be {what} of {smallest:g} or more; got '{value}'")
        return default
    return float(value)


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value).strip()


def _list_of_text(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_text(v) for v in value]
    return [_text(value)] if _text(value) else []
